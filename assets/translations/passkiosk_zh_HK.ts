<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_HK">
<context>
    <name>Gate</name>
    <message>
        <location filename="../../kiosk/_words.py" line="40"/>
        <source>Please tap your ID card or show your pass code</source>
        <translation>請拍身份證 或 出示通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="41"/>
        <source>Hold the card on the reader for 2 seconds</source>
        <translation>將身份證放在讀卡區，保持2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="42"/>
        <source>Phone or printed code: hold it up to the camera</source>
        <translation>手機碼或紙本碼：請對準鏡頭</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="43"/>
        <source>Reading your card, please keep it still</source>
        <translation>正在讀卡，請勿移開</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="44"/>
        <source>Checking your code</source>
        <translation>正在核驗，請稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="45"/>
        <source>Looking up the ID number</source>
        <translation>正在查詢證件號碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="48"/>
        <source>Please go through</source>
        <translation>請通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="49"/>
        <source>Please wait for staff</source>
        <translation>請稍候，由職員核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="50"/>
        <source>Entry not allowed</source>
        <translation>禁止通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="51"/>
        <source>Not recognised, please try again</source>
        <translation>無法識別，請重試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="56"/>
        <source>Green code</source>
        <translation>綠碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="57"/>
        <source>No health record restricts entry</source>
        <translation>無異常記錄</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="58"/>
        <source>Yellow code: staff will check</source>
        <translation>黃碼：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="59"/>
        <source>Red code: please see staff</source>
        <translation>紅碼：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="60"/>
        <source>Health status has changed: please see staff</source>
        <translation>健康狀態已變更：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="61"/>
        <source>This card is flagged: please see staff</source>
        <translation>此卡有異常記錄：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="62"/>
        <source>This code has been withdrawn</source>
        <translation>此碼已作廢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="63"/>
        <source>This code has expired: please get a new one</source>
        <translation>此碼已過期：請重新申領</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="64"/>
        <source>This code is not valid yet</source>
        <translation>此碼尚未生效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="65"/>
        <source>This code has an invalid validity period</source>
        <translation>此碼有效期異常</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="66"/>
        <location filename="../../kiosk/_words.py" line="70"/>
        <source>This code could not be verified</source>
        <translation>此碼無法驗證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="67"/>
        <source>This code&apos;s issuer is not known here</source>
        <translation>本機不認識此碼的簽發機構</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="68"/>
        <source>This code&apos;s issuer key was withdrawn</source>
        <translation>簽發機構密鑰已撤銷</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="69"/>
        <source>This code&apos;s issuer key is out of date</source>
        <translation>簽發機構密鑰已失效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="71"/>
        <source>This certificate type is not allowed</source>
        <translation>此證書類型不被接受</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="72"/>
        <source>This is not a pass code</source>
        <translation>這不是通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="73"/>
        <location filename="../../kiosk/_words.py" line="74"/>
        <source>This code is damaged or not a pass code</source>
        <translation>此碼已損壞或不是通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="75"/>
        <source>The ID number is not valid</source>
        <translation>身份證號碼有誤</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="76"/>
        <source>The card could not be read</source>
        <translation>無法讀取卡片</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="77"/>
        <source>Kiosk data is out of date: staff will check</source>
        <translation>本機數據未及時更新：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="78"/>
        <source>Reading took too long, please try again</source>
        <translation>讀取逾時，請重試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="79"/>
        <source>Card moved too soon: hold it for 2 seconds</source>
        <translation>卡片移開過早：請放穩2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="80"/>
        <source>This kiosk has no trust list yet: staff will check</source>
        <translation>本機尚無信任列表：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="81"/>
        <source>Something went wrong: please see staff</source>
        <translation>系統出錯：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="83"/>
        <source>Please see staff</source>
        <translation>請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="85"/>
        <location filename="../../kiosk/_words.py" line="100"/>
        <source>Phone code</source>
        <translation>手機碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="86"/>
        <location filename="../../kiosk/_words.py" line="101"/>
        <source>Printed code</source>
        <translation>紙本碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="87"/>
        <source>ID card</source>
        <translation>身份證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="88"/>
        <source>ID number lookup</source>
        <translation>證件號碼查詢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="89"/>
        <source>EU / WHO certificate</source>
        <translation>歐盟/世衛證書</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="90"/>
        <source>Issued by a helper</source>
        <translation>代辦</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="91"/>
        <source>Valid until %1</source>
        <translation>有效至 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="93"/>
        <source>Data updated %1 min ago</source>
        <translation>數據更新於 %1 分鐘前</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="94"/>
        <source>Offline: data is %1 h old</source>
        <translation>離線：數據已 %1 小時未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="95"/>
        <source>No data synced yet</source>
        <translation>尚未同步數據</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="96"/>
        <source>Clock was set back: using the last trusted time</source>
        <translation>系統時鐘被回撥：使用最近可信時間</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="97"/>
        <source>DEMO</source>
        <translation>示範</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="99"/>
        <source>Tap ID card</source>
        <translation>模擬拍身份證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="102"/>
        <source>Yellow code</source>
        <translation>黃碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="103"/>
        <source>Red code</source>
        <translation>紅碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="104"/>
        <source>Damaged code</source>
        <translation>損壞的碼</translation>
    </message>
</context>
</TS>
