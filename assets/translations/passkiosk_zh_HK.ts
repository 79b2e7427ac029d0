<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_HK">
<context>
    <name>Gate</name>
    <message>
        <location filename="../../kiosk/_words.py" line="38"/>
        <source>Please tap your ID card or show your pass code</source>
        <translation>請拍身份證 或 出示通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="39"/>
        <source>Hold the card on the reader for 2 seconds</source>
        <translation>將身份證放在讀卡區，保持2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="40"/>
        <source>Phone or printed code: hold it up to the camera</source>
        <translation>手機碼或紙本碼：請對準鏡頭</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="41"/>
        <source>Reading your card, please do not move it</source>
        <translation>正在讀取，請勿移開</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="42"/>
        <source>Checking your code</source>
        <translation>正在核驗，請稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="43"/>
        <source>Looking up the ID number</source>
        <translation>正在查詢證件號碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="46"/>
        <source>Please go through</source>
        <translation>請通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="47"/>
        <source>Please wait for staff</source>
        <translation>請稍候，由職員核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="48"/>
        <source>Entry not allowed</source>
        <translation>禁止通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="49"/>
        <source>Not recognised, please try again</source>
        <translation>無法識別，請重試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="54"/>
        <source>Green code</source>
        <translation>綠碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="55"/>
        <source>No health record restricts entry</source>
        <translation>無異常記錄</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="56"/>
        <source>Yellow code: staff will check</source>
        <translation>黃碼：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="57"/>
        <source>Red code: please see staff</source>
        <translation>紅碼：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="58"/>
        <source>Health status has changed: please see staff</source>
        <translation>健康狀態已變更：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="59"/>
        <source>This card is flagged: please see staff</source>
        <translation>此卡有異常記錄：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="60"/>
        <source>This code has been withdrawn</source>
        <translation>此碼已作廢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="61"/>
        <source>This code has expired: please get a new one</source>
        <translation>此碼已過期：請重新申領</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="62"/>
        <source>This code is not valid yet</source>
        <translation>此碼尚未生效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="63"/>
        <source>This code has an invalid validity period</source>
        <translation>此碼有效期異常</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="64"/>
        <location filename="../../kiosk/_words.py" line="68"/>
        <source>This code could not be verified</source>
        <translation>此碼無法驗證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="65"/>
        <source>This code&apos;s issuer is not known here</source>
        <translation>本機不認識此碼的簽發機構</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="66"/>
        <source>This code&apos;s issuer key was withdrawn</source>
        <translation>簽發機構密鑰已撤銷</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="67"/>
        <source>This code&apos;s issuer key is out of date</source>
        <translation>簽發機構密鑰已失效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="69"/>
        <source>This certificate type is not allowed</source>
        <translation>此證書類型不被接受</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="70"/>
        <source>This is not a pass code</source>
        <translation>這不是通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="71"/>
        <location filename="../../kiosk/_words.py" line="72"/>
        <source>This code is damaged or not a pass code</source>
        <translation>此碼已損壞或不是通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="73"/>
        <source>The ID number is not valid</source>
        <translation>身份證號碼有誤</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="74"/>
        <source>The card could not be read</source>
        <translation>無法讀取卡片</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="75"/>
        <source>Kiosk data is out of date: staff will check</source>
        <translation>本機數據未及時更新：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="76"/>
        <source>Reading took too long, please try again</source>
        <translation>讀取逾時，請重試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="77"/>
        <source>Card moved too soon: hold it for 2 seconds</source>
        <translation>卡片移開過早：請放穩2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="78"/>
        <source>This kiosk has no trust list yet: staff will check</source>
        <translation>本機尚無信任列表：職員將為您核驗</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="79"/>
        <source>Something went wrong: please see staff</source>
        <translation>系統出錯：請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="81"/>
        <source>Please see staff</source>
        <translation>請聯絡職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="83"/>
        <location filename="../../kiosk/_words.py" line="126"/>
        <source>Phone code</source>
        <translation>手機碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="84"/>
        <location filename="../../kiosk/_words.py" line="98"/>
        <location filename="../../kiosk/_words.py" line="127"/>
        <source>Printed code</source>
        <translation>紙本碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="85"/>
        <source>ID card</source>
        <translation>身份證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="107"/>
        <source>Staff</source>
        <translation>職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="131"/>
        <source>DEMO · Guangzhou South · Gate 3</source>
        <translation>示範 · 廣州南站 · 3號閘機</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="132"/>
        <source>Card reader ✓ · Camera ✓</source>
        <translation>讀卡器 ✓ · 鏡頭 ✓</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="86"/>
        <source>EU / WHO certificate</source>
        <translation>歐盟/世衛證書</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="87"/>
        <source>Issued by a helper</source>
        <translation>代辦</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="88"/>
        <source>Valid until %1</source>
        <translation>有效至 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="90"/>
        <source>Data updated %1 min ago</source>
        <translation>數據更新於 %1 分鐘前</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="91"/>
        <source>Offline: data is %1 h old</source>
        <translation>離線：數據已 %1 小時未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="92"/>
        <source>No data synced yet</source>
        <translation>尚未同步數據</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="93"/>
        <source>Clock was set back: using the last trusted time</source>
        <translation>系統時鐘被回撥：使用最近可信時間</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="94"/>
        <source>DEMO</source>
        <translation>示範</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="95"/>
        <source>Offline check: kiosk data is %1 h old</source>
        <translation>離線核驗：本機數據已 %1 小時未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="97"/>
        <source>Proxy lookup</source>
        <translation>代查</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="99"/>
        <source>Staff have been alerted and will come to you</source>
        <translation>已通知職員，請原地稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="100"/>
        <source>Next person: please wait a moment</source>
        <translation>下一位請稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="101"/>
        <source>Please go through: staff will note your yellow code</source>
        <translation>請通行：職員將登記您的黃碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="103"/>
        <source>Card reader out of order: please show your pass code</source>
        <translation>讀卡器故障 請出示通行碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="105"/>
        <source>Camera out of order: please tap your ID card</source>
        <translation>鏡頭故障 請拍身份證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="106"/>
        <source>Look up for someone</source>
        <translation>幫他人查詢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="109"/>
        <source>This gate is out of service</source>
        <translation>本閘機暫停服務</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="110"/>
        <source>The card reader and the camera are not working</source>
        <translation>讀卡器和鏡頭均無法運作</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="111"/>
        <location filename="../../kiosk/_words.py" line="115"/>
        <location filename="../../kiosk/_words.py" line="119"/>
        <source>Please use another gate or ask staff for help</source>
        <translation>請使用其他閘機，或請職員協助</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="112"/>
        <source>Staff: check the reader and camera cables, then test them in the staff panel</source>
        <translation>職員：請檢查讀卡器和鏡頭連線，然後在管理面板中測試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="114"/>
        <source>Entry records cannot be saved</source>
        <translation>無法儲存出入登記記錄</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="116"/>
        <source>Staff: the kiosk&apos;s disk has failed or is full; records already saved are safe</source>
        <translation>職員：本機磁碟故障或已滿；已儲存的記錄安全</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="118"/>
        <source>The kiosk clock was set back</source>
        <translation>本機時鐘被回撥</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="120"/>
        <source>Staff: correct the date and time, then run a sync from the staff panel</source>
        <translation>職員：請校正日期和時間，然後在管理面板中同步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="125"/>
        <source>Tap ID card</source>
        <translation>拍身份證</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="128"/>
        <source>Yellow code</source>
        <translation>黃碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="129"/>
        <source>Red code</source>
        <translation>紅碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="130"/>
        <source>Damaged code</source>
        <translation>損壞的碼</translation>
    </message>
</context>
<context>
    <name>Helper</name>
    <message>
        <location filename="../../kiosk/_proxy.py" line="54"/>
        <source>%1 of 18 characters entered</source>
        <translation>已輸入 %1 位，共 18 位</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="55"/>
        <source>The first two digits are not a province code, please check</source>
        <translation>前兩位不是省份代碼，請核對</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="58"/>
        <source>Digits 7 to 14 are not a real birth date, please check</source>
        <translation>第 7 至 14 位不是有效的出生日期，請核對</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="61"/>
        <source>The last character does not match, please check the number</source>
        <translation>最後一位校驗碼不對，請核對</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="64"/>
        <source>This is not a valid ID number, please check</source>
        <translation>這不是有效的身份證號碼，請核對</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="66"/>
        <source>The last character should be X</source>
        <translation>最後一位應為 X</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="67"/>
        <source>The last character should be a digit</source>
        <translation>最後一位應為數字</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="68"/>
        <source>X can only be the last character</source>
        <translation>X 只能是最後一位</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="69"/>
        <source>All 18 characters are entered</source>
        <translation>18 位已輸入完畢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="70"/>
        <source>The number looks right: press Next</source>
        <translation>號碼格式正確，請按「下一步」</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="49"/>
        <source>Helping someone? First show who you are</source>
        <translation>代人查詢？請先確認您的身份</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="50"/>
        <source>Type the ID number of the person you help</source>
        <translation>請輸入被代查人的身份證號碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="51"/>
        <source>Look up this number?</source>
        <translation>查詢這個號碼嗎？</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="52"/>
        <source>Too many lookups</source>
        <translation>查詢太頻繁</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="54"/>
        <source>Tap your own ID card on the reader, or ask staff to enter the PIN</source>
        <translation>請在讀卡器上拍您本人的身份證，或請職員輸入密碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="57"/>
        <source>Helper: %1</source>
        <translation>代查人：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="58"/>
        <source>staff member</source>
        <translation>職員</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="59"/>
        <source>Too many lookups, please try again in %1 seconds</source>
        <translation>查詢太頻繁，請 %1 秒後再試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="60"/>
        <source>Staff PIN</source>
        <translation>職員密碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="61"/>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="62"/>
        <source>Look up</source>
        <translation>查詢</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="63"/>
        <source>Change the number</source>
        <translation>返回修改</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="64"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../../kiosk/_keypad.py" line="31"/>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <location filename="../../kiosk/_keypad.py" line="32"/>
        <source>Delete</source>
        <translation>刪除</translation>
    </message>
</context>
<context>
    <name>Staff</name>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="43"/>
        <source>Staff panel</source>
        <translation>職員面板</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="44"/>
        <source>Site %1, gate %2</source>
        <translation>站點 %1 · 閘機 %2</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="45"/>
        <source>Status</source>
        <translation>狀態</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="46"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="47"/>
        <source>Close</source>
        <translation>關閉</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="49"/>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="51"/>
        <source>Passed</source>
        <translation>通過</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="52"/>
        <source>Attention</source>
        <translation>需核查</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="53"/>
        <source>Denied</source>
        <translation>禁止通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="54"/>
        <source>Not recognised</source>
        <translation>無法識別</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="56"/>
        <source>Lists</source>
        <translation>名單</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="57"/>
        <source>No list synced yet</source>
        <translation>尚未同步任何名單</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="58"/>
        <source>version %1</source>
        <translation>版本 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="59"/>
        <source>no version yet</source>
        <translation>尚無版本</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="60"/>
        <source>updated %1 min ago</source>
        <translation>%1 分鐘前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="61"/>
        <source>updated %1 h ago</source>
        <translation>%1 小時前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="62"/>
        <source>updated %1 days ago</source>
        <translation>%1 日前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="63"/>
        <source>never updated</source>
        <translation>從未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="64"/>
        <source>Readers and camera</source>
        <translation>讀卡器及攝影機</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="65"/>
        <source>No reader reported yet</source>
        <translation>尚無讀卡器狀態</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="66"/>
        <source>Last sync: %1</source>
        <translation>上次同步：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="68"/>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="69"/>
        <source>Test readers and camera</source>
        <translation>測試讀卡器及攝影機</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="70"/>
        <source>Acknowledge red/amber (%1)</source>
        <translation>確認紅/黃碼提示（%1）</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="71"/>
        <source>Export today&apos;s counts (CSV)</source>
        <translation>匯出今日統計（CSV）</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="72"/>
        <source>Exit the kiosk</source>
        <translation>退出閘機程式</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="73"/>
        <source>Tap again to exit</source>
        <translation>再按一次退出</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="75"/>
        <source>Site policy</source>
        <translation>場所規則</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="76"/>
        <source>Site type</source>
        <translation>場所類型</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="77"/>
        <source>Station</source>
        <translation>車站</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="78"/>
        <source>Hospital</source>
        <translation>醫院</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="79"/>
        <source>Amber may pass</source>
        <translation>黃碼可通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="80"/>
        <source>Red/amber wait for staff</source>
        <translation>紅/黃碼需職員確認</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="81"/>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="82"/>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="83"/>
        <source>Green shown for</source>
        <translation>綠碼顯示時間</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="84"/>
        <source>Red/amber shown for</source>
        <translation>紅/黃碼顯示時間</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="85"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="86"/>
        <source>Kiosk</source>
        <translation>本機</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="87"/>
        <source>Volume</source>
        <translation>音量</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="88"/>
        <source>Default language</source>
        <translation>預設語言</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="89"/>
        <source>Service address</source>
        <translation>服務地址</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="90"/>
        <source>Save settings</source>
        <translation>儲存設定</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="91"/>
        <source>Changes not saved yet</source>
        <translation>更改尚未儲存</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="92"/>
        <source>Not saved: %1</source>
        <translation>未儲存：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="95"/>
        <source>Exported to %1</source>
        <translation>已匯出至 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="96"/>
        <source>Export failed: %1</source>
        <translation>匯出失敗：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="97"/>
        <source>Settings saved</source>
        <translation>設定已儲存</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="98"/>
        <source>Sync started</source>
        <translation>已開始同步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="99"/>
        <source>Sync finished</source>
        <translation>同步完成</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="100"/>
        <source>Sync failed: %1</source>
        <translation>同步失敗：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="101"/>
        <source>Acknowledged: %1</source>
        <translation>已確認：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="149"/>
        <source>Staff: enter the PIN</source>
        <translation>職員：請輸入密碼</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="150"/>
        <source>Checking…</source>
        <translation>正在核對…</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="151"/>
        <source>Wrong PIN. Tries left before a lockout: %1</source>
        <translation>密碼錯誤，還可再試 %1 次</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="152"/>
        <source>Too many wrong PINs. Try again in %1 seconds</source>
        <translation>密碼錯誤次數過多，請 %1 秒後再試</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="39"/>
        <source>OK</source>
        <translation>確定</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="40"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="41"/>
        <source>Type the PIN, then press OK</source>
        <translation>輸入密碼後按「確定」</translation>
    </message>
</context>
</TS>
