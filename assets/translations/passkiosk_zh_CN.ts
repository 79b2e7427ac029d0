<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Gate</name>
    <message>
        <location filename="../../kiosk/_words.py" line="38"/>
        <source>Please tap your ID card or show your pass code</source>
        <translation>请刷身份证 或 出示通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="39"/>
        <source>Hold the card on the reader for 2 seconds</source>
        <translation>将身份证放在读卡区，保持2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="40"/>
        <source>Phone or printed code: hold it up to the camera</source>
        <translation>手机码或纸质码：请对准摄像头</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="41"/>
        <source>Reading your card, please do not move it</source>
        <translation>正在读取，请勿移开</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="42"/>
        <source>Checking your code</source>
        <translation>正在核验，请稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="43"/>
        <source>Looking up the ID number</source>
        <translation>正在查询证件号码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="46"/>
        <source>Please go through</source>
        <translation>请通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="47"/>
        <source>Please wait for staff</source>
        <translation>请稍候，工作人员核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="48"/>
        <source>Entry not allowed</source>
        <translation>禁止通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="49"/>
        <source>Not recognised, please try again</source>
        <translation>无法识别，请重试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="54"/>
        <source>Green code</source>
        <translation>绿码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="55"/>
        <source>No health record restricts entry</source>
        <translation>无异常记录</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="56"/>
        <source>Yellow code: staff will check</source>
        <translation>黄码：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="57"/>
        <source>Red code: please see staff</source>
        <translation>红码：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="58"/>
        <source>Health status has changed: please see staff</source>
        <translation>健康状态已变更：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="59"/>
        <source>This card is flagged: please see staff</source>
        <translation>此卡有异常记录：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="60"/>
        <source>This code has been withdrawn</source>
        <translation>此码已作废</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="61"/>
        <source>This code has expired: please get a new one</source>
        <translation>此码已过期：请重新申领</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="62"/>
        <source>This code is not valid yet</source>
        <translation>此码尚未生效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="63"/>
        <source>This code has an invalid validity period</source>
        <translation>此码有效期异常</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="64"/>
        <location filename="../../kiosk/_words.py" line="68"/>
        <source>This code could not be verified</source>
        <translation>此码无法验证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="65"/>
        <source>This code&apos;s issuer is not known here</source>
        <translation>本机不认识此码的签发机构</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="66"/>
        <source>This code&apos;s issuer key was withdrawn</source>
        <translation>签发机构密钥已撤销</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="67"/>
        <source>This code&apos;s issuer key is out of date</source>
        <translation>签发机构密钥已失效</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="69"/>
        <source>This certificate type is not allowed</source>
        <translation>此证书类型不被接受</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="70"/>
        <source>This is not a pass code</source>
        <translation>这不是通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="71"/>
        <location filename="../../kiosk/_words.py" line="72"/>
        <source>This code is damaged or not a pass code</source>
        <translation>此码已损坏或不是通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="73"/>
        <source>The ID number is not valid</source>
        <translation>身份证号码有误</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="74"/>
        <source>The card could not be read</source>
        <translation>无法读取卡片</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="75"/>
        <source>Kiosk data is out of date: staff will check</source>
        <translation>本机数据未及时更新：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="76"/>
        <source>Reading took too long, please try again</source>
        <translation>读取超时，请重试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="77"/>
        <source>Card moved too soon: hold it for 2 seconds</source>
        <translation>卡片移开过早：请放稳2秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="78"/>
        <source>This kiosk has no trust list yet: staff will check</source>
        <translation>本机尚无信任列表：工作人员将为您核验</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="79"/>
        <source>Something went wrong: please see staff</source>
        <translation>系统出错：请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="81"/>
        <source>Please see staff</source>
        <translation>请联系工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="83"/>
        <location filename="../../kiosk/_words.py" line="126"/>
        <source>Phone code</source>
        <translation>手机码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="84"/>
        <location filename="../../kiosk/_words.py" line="98"/>
        <location filename="../../kiosk/_words.py" line="127"/>
        <source>Printed code</source>
        <translation>纸质码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="85"/>
        <source>ID card</source>
        <translation>身份证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="107"/>
        <source>Staff</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="131"/>
        <source>DEMO · Guangzhou South · Gate 3</source>
        <translation>演示 · 广州南站 · 3号闸机</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="132"/>
        <source>Card reader ✓ · Camera ✓</source>
        <translation>读卡器 ✓ · 摄像头 ✓</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="86"/>
        <source>EU / WHO certificate</source>
        <translation>欧盟/世卫证书</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="87"/>
        <source>Issued by a helper</source>
        <translation>代办</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="88"/>
        <source>Valid until %1</source>
        <translation>有效至 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="90"/>
        <source>Data updated %1 min ago</source>
        <translation>数据更新于 %1 分钟前</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="91"/>
        <source>Offline: data is %1 h old</source>
        <translation>离线：数据已 %1 小时未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="92"/>
        <source>No data synced yet</source>
        <translation>尚未同步数据</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="93"/>
        <source>Clock was set back: using the last trusted time</source>
        <translation>系统时钟被回拨：使用最近可信时间</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="94"/>
        <source>DEMO</source>
        <translation>演示</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="95"/>
        <source>Offline check: kiosk data is %1 h old</source>
        <translation>离线核验：本机数据已 %1 小时未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="97"/>
        <source>Proxy lookup</source>
        <translation>代查</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="99"/>
        <source>Staff have been alerted and will come to you</source>
        <translation>已通知工作人员，请原地稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="100"/>
        <source>Next person: please wait a moment</source>
        <translation>下一位请稍候</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="101"/>
        <source>Please go through: staff will note your yellow code</source>
        <translation>请通行：工作人员将登记您的黄码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="103"/>
        <source>Card reader out of order: please show your pass code</source>
        <translation>读卡器故障 请出示通行码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="105"/>
        <source>Camera out of order: please tap your ID card</source>
        <translation>摄像头故障 请刷身份证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="106"/>
        <source>Look up for someone</source>
        <translation>帮他人查询</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="109"/>
        <source>This gate is out of service</source>
        <translation>本闸机暂停服务</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="110"/>
        <source>The card reader and the camera are not working</source>
        <translation>读卡器和摄像头均无法工作</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="111"/>
        <location filename="../../kiosk/_words.py" line="115"/>
        <location filename="../../kiosk/_words.py" line="119"/>
        <source>Please use another gate or ask staff for help</source>
        <translation>请使用其他闸机，或请工作人员协助</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="112"/>
        <source>Staff: check the reader and camera cables, then test them in the staff panel</source>
        <translation>工作人员：请检查读卡器和摄像头连线，然后在管理面板中测试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="114"/>
        <source>Entry records cannot be saved</source>
        <translation>无法保存出入登记记录</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="116"/>
        <source>Staff: the kiosk&apos;s disk has failed or is full; records already saved are safe</source>
        <translation>工作人员：本机磁盘故障或已满；已保存的记录安全</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="118"/>
        <source>The kiosk clock was set back</source>
        <translation>本机时钟被回拨</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="120"/>
        <source>Staff: correct the date and time, then run a sync from the staff panel</source>
        <translation>工作人员：请校正日期和时间，然后在管理面板中同步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="125"/>
        <source>Tap ID card</source>
        <translation>刷身份证</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="128"/>
        <source>Yellow code</source>
        <translation>黄码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="129"/>
        <source>Red code</source>
        <translation>红码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_words.py" line="130"/>
        <source>Damaged code</source>
        <translation>损坏的码</translation>
    </message>
</context>
<context>
    <name>Helper</name>
    <message>
        <location filename="../../kiosk/_proxy.py" line="54"/>
        <source>%1 of 18 characters entered</source>
        <translation>已输入 %1 位，共 18 位</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="55"/>
        <source>The first two digits are not a province code, please check</source>
        <translation>前两位不是省份代码，请核对</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="58"/>
        <source>Digits 7 to 14 are not a real birth date, please check</source>
        <translation>第 7 至 14 位不是有效的出生日期，请核对</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="61"/>
        <source>The last character does not match, please check the number</source>
        <translation>最后一位校验码不对，请核对</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="64"/>
        <source>This is not a valid ID number, please check</source>
        <translation>这不是有效的身份证号码，请核对</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="66"/>
        <source>The last character should be X</source>
        <translation>最后一位应为 X</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="67"/>
        <source>The last character should be a digit</source>
        <translation>最后一位应为数字</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="68"/>
        <source>X can only be the last character</source>
        <translation>X 只能是最后一位</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="69"/>
        <source>All 18 characters are entered</source>
        <translation>18 位已输入完毕</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy.py" line="70"/>
        <source>The number looks right: press Next</source>
        <translation>号码格式正确，请按“下一步”</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="49"/>
        <source>Helping someone? First show who you are</source>
        <translation>代人查询？请先确认您的身份</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="50"/>
        <source>Type the ID number of the person you help</source>
        <translation>请输入被代查人的身份证号码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="51"/>
        <source>Look up this number?</source>
        <translation>查询这个号码吗？</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="52"/>
        <source>Too many lookups</source>
        <translation>查询太频繁</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="54"/>
        <source>Tap your own ID card on the reader, or ask staff to enter the PIN</source>
        <translation>请在读卡器上刷您本人的身份证，或请工作人员输入密码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="57"/>
        <source>Helper: %1</source>
        <translation>代查人：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="58"/>
        <source>staff member</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="59"/>
        <source>Too many lookups, please try again in %1 seconds</source>
        <translation>查询太频繁，请 %1 秒后再试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="60"/>
        <source>Staff PIN</source>
        <translation>工作人员密码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="61"/>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_proxy_view.py" line="62"/>
        <source>Look up</source>
        <translation>查询</translation>
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
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../../kiosk/_keypad.py" line="32"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>Staff</name>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="43"/>
        <source>Staff panel</source>
        <translation>工作人员面板</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="44"/>
        <source>Site %1, gate %2</source>
        <translation>站点 %1 · 闸机 %2</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="45"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="46"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="47"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="49"/>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="51"/>
        <source>Passed</source>
        <translation>通过</translation>
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
        <translation>无法识别</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="56"/>
        <source>Lists</source>
        <translation>名单</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="57"/>
        <source>No list synced yet</source>
        <translation>尚未同步任何名单</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="58"/>
        <source>version %1</source>
        <translation>版本 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="59"/>
        <source>no version yet</source>
        <translation>尚无版本</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="60"/>
        <source>updated %1 min ago</source>
        <translation>%1 分钟前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="61"/>
        <source>updated %1 h ago</source>
        <translation>%1 小时前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="62"/>
        <source>updated %1 days ago</source>
        <translation>%1 天前更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="63"/>
        <source>never updated</source>
        <translation>从未更新</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="64"/>
        <source>Readers and camera</source>
        <translation>读卡器和摄像头</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="65"/>
        <source>No reader reported yet</source>
        <translation>尚无读卡器状态</translation>
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
        <translation>测试读卡器和摄像头</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="70"/>
        <source>Acknowledge red/amber (%1)</source>
        <translation>确认红/黄码提示（%1）</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="71"/>
        <source>Export today&apos;s counts (CSV)</source>
        <translation>导出今日统计（CSV）</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="72"/>
        <source>Exit the kiosk</source>
        <translation>退出闸机程序</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="73"/>
        <source>Tap again to exit</source>
        <translation>再按一次退出</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="75"/>
        <source>Site policy</source>
        <translation>场所规则</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="76"/>
        <source>Site type</source>
        <translation>场所类型</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="77"/>
        <source>Station</source>
        <translation>车站</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="78"/>
        <source>Hospital</source>
        <translation>医院</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="79"/>
        <source>Amber may pass</source>
        <translation>黄码可通行</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="80"/>
        <source>Red/amber wait for staff</source>
        <translation>红/黄码需工作人员确认</translation>
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
        <translation>绿码显示时长</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="84"/>
        <source>Red/amber shown for</source>
        <translation>红/黄码显示时长</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="85"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="86"/>
        <source>Kiosk</source>
        <translation>本机</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="87"/>
        <source>Volume</source>
        <translation>音量</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="88"/>
        <source>Default language</source>
        <translation>默认语言</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="89"/>
        <source>Service address</source>
        <translation>服务地址</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="90"/>
        <source>Save settings</source>
        <translation>保存设置</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="91"/>
        <source>Changes not saved yet</source>
        <translation>更改尚未保存</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="92"/>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="95"/>
        <source>Exported to %1</source>
        <translation>已导出到 %1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="96"/>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="97"/>
        <source>Settings saved</source>
        <translation>设置已保存</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="98"/>
        <source>Sync started</source>
        <translation>已开始同步</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="99"/>
        <source>Sync finished</source>
        <translation>同步完成</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="100"/>
        <source>Sync failed: %1</source>
        <translation>同步失败：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_panel_model.py" line="101"/>
        <source>Acknowledged: %1</source>
        <translation>已确认：%1</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="149"/>
        <source>Staff: enter the PIN</source>
        <translation>工作人员：请输入密码</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="150"/>
        <source>Checking…</source>
        <translation>正在核对…</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="151"/>
        <source>Wrong PIN. Tries left before a lockout: %1</source>
        <translation>密码错误，还可再试 %1 次</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin.py" line="152"/>
        <source>Too many wrong PINs. Try again in %1 seconds</source>
        <translation>密码错误次数过多，请 %1 秒后再试</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="39"/>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="40"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../kiosk/_pin_view.py" line="41"/>
        <source>Type the PIN, then press OK</source>
        <translation>输入密码后按“确定”</translation>
    </message>
</context>
</TS>
