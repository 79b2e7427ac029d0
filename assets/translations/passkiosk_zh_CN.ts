<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Gate</name>
    <message>
        <location filename="../../kiosk/_words.py" line="40"/>
        <source>Please tap your ID card or show your pass code</source>
        <translation>请刷身份证 或 出示通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="41"/>
        <source>Hold the card on the reader for 2 seconds</source>
        <translation>将身份证放在读卡区，保持2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="42"/>
        <source>Phone or printed code: hold it up to the camera</source>
        <translation>手机码或纸质码：请对准摄像头</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="43"/>
        <source>Reading your card, please keep it still</source>
        <translation>正在读卡，请勿移开</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="44"/>
        <source>Checking your code</source>
        <translation>正在核验，请稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="45"/>
        <source>Looking up the ID number</source>
        <translation>正在查询证件号码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="48"/>
        <source>Please go through</source>
        <translation>请通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="49"/>
        <source>Please wait for staff</source>
        <translation>请稍候，工作人员核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="50"/>
        <source>Entry not allowed</source>
        <translation>禁止通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="51"/>
        <source>Not recognised, please try again</source>
        <translation>无法识别，请重试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="56"/>
        <source>Green code</source>
        <translation>绿码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="57"/>
        <source>No health record restricts entry</source>
        <translation>无异常记录</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="58"/>
        <source>Yellow code: staff will check</source>
        <translation>黄码：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="59"/>
        <source>Red code: please see staff</source>
        <translation>红码：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="60"/>
        <source>Health status has changed: please see staff</source>
        <translation>健康状态已变更：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="61"/>
        <source>This card is flagged: please see staff</source>
        <translation>此卡有异常记录：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="62"/>
        <source>This code has been withdrawn</source>
        <translation>此码已作废</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="63"/>
        <source>This code has expired: please get a new one</source>
        <translation>此码已过期：请重新申领</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="64"/>
        <source>This code is not valid yet</source>
        <translation>此码尚未生效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="65"/>
        <source>This code has an invalid validity period</source>
        <translation>此码有效期异常</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="66"/>
        <location filename="../../kiosk/_words.py" line="70"/>
        <source>This code could not be verified</source>
        <translation>此码无法验证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="67"/>
        <source>This code&apos;s issuer is not known here</source>
        <translation>本机不认识此码的签发机构</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="68"/>
        <source>This code&apos;s issuer key was withdrawn</source>
        <translation>签发机构密钥已撤销</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="69"/>
        <source>This code&apos;s issuer key is out of date</source>
        <translation>签发机构密钥已失效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="71"/>
        <source>This certificate type is not allowed</source>
        <translation>此证书类型不被接受</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="72"/>
        <source>This is not a pass code</source>
        <translation>这不是通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="73"/>
        <location filename="../../kiosk/_words.py" line="74"/>
        <source>This code is damaged or not a pass code</source>
        <translation>此码已损坏或不是通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="75"/>
        <source>The ID number is not valid</source>
        <translation>身份证号码有误</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="76"/>
        <source>The card could not be read</source>
        <translation>无法读取卡片</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="77"/>
        <source>Kiosk data is out of date: staff will check</source>
        <translation>本机数据未及时更新：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="78"/>
        <source>Reading took too long, please try again</source>
        <translation>读取超时，请重试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="79"/>
        <source>Card moved too soon: hold it for 2 seconds</source>
        <translation>卡片移开过早：请放稳2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="80"/>
        <source>This kiosk has no trust list yet: staff will check</source>
        <translation>本机尚无信任列表：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="81"/>
        <source>Something went wrong: please see staff</source>
        <translation>系统出错：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="83"/>
        <source>Please see staff</source>
        <translation>请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="85"/>
        <location filename="../../kiosk/_words.py" line="100"/>
        <source>Phone code</source>
        <translation>手机码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="86"/>
        <location filename="../../kiosk/_words.py" line="101"/>
        <source>Printed code</source>
        <translation>纸质码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="87"/>
        <source>ID card</source>
        <translation>身份证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="88"/>
        <source>ID number lookup</source>
        <translation>证件号码查询</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="89"/>
        <source>EU / WHO certificate</source>
        <translation>欧盟/世卫证书</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="90"/>
        <source>Issued by a helper</source>
        <translation>代办</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="91"/>
        <source>Valid until %1</source>
        <translation>有效至 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="93"/>
        <source>Data updated %1 min ago</source>
        <translation>数据更新于 %1 分钟前</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="94"/>
        <source>Offline: data is %1 h old</source>
        <translation>离线：数据已 %1 小时未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="95"/>
        <source>No data synced yet</source>
        <translation>尚未同步数据</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="96"/>
        <source>Clock was set back: using the last trusted time</source>
        <translation>系统时钟被回拨：使用最近可信时间</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="97"/>
        <source>DEMO</source>
        <translation>演示</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="99"/>
        <source>Tap ID card</source>
        <translation>模拟刷身份证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="102"/>
        <source>Yellow code</source>
        <translation>黄码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="103"/>
        <source>Red code</source>
        <translation>红码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="104"/>
        <source>Damaged code</source>
        <translation>损坏的码</translation>
    </message>
</context>
</TS>
