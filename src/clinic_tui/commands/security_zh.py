# ruff: noqa: E501  (a catalogue: one phrase a line reads better than wrapped fragments)
"""The Chinese of the encrypt and users commands' help and messages (__main__.py)."""

from __future__ import annotations

from clinic_tui.i18n import add_translations

add_translations(
    {
        "encrypt the cache in place (SQLCipher), key in the keyring or from a passphrase": "就地加密缓存（SQLCipher），密钥保存在密钥环中或由口令推导",
        "Write an encrypted copy of the cache beside it, check it (integrity and every table's row count), then rename it over the original. A stop at any moment leaves a cache that opens. Close the workstation and any sync first.": "在缓存旁写一份加密副本并检查（完整性和每张表的记录数），再以改名替换原文件。任何时刻中断都会留下一个能打开的缓存。请先关闭工作站和同步。",
        "a random key kept in this user's OS keyring (the default)": "随机密钥，保存在本用户的操作系统密钥环中（默认）",
        "a key derived from a passphrase asked for now and at every start (no-echo prompt, or one line of standard input); never stored": "由口令推导的密钥，现在及每次启动时询问（不回显的提示，或标准输入的一行）；从不保存",
        "clinicians who may unlock this workstation with a PIN": "可用 PIN 解锁本工作站的医师",
        "Register the clinicians of this workstation. Once one is registered, the workstation opens on a sign-in screen and locks itself when left idle; what a clinician writes carries their practitioner id. PINs are asked with a no-echo prompt (or one line of standard input), never taken from the command line.": "登记本工作站的医师。登记后，工作站启动时先显示登录屏幕，空闲时自动锁定；医师写入的内容带有其医师编号。PIN 通过不回显的提示（或标准输入的一行）询问，从不从命令行读取。",
        "register a clinician": "登记一位医师",
        "Register a clinician on this workstation. The PIN (6 digits or more, not one repeated digit, a run such as 123456 or a repeated pattern) is asked twice with a no-echo prompt, or read as one line of standard input, and kept only as a salted scrypt hash.": "在本工作站登记一位医师。PIN（至少 6 位，不能是同一数字重复、123456 这样的连续数字或重复的模式）通过不回显的提示输入两次，或从标准输入读取一行，只以加盐的 scrypt 哈希保存。",
        "give a clinician a new PIN": "为医师设置新的 PIN",
        "clear the wrong-PIN lock-outs": "清除 PIN 错误导致的锁定",
        "Clear the count of wrong PINs, and so any lock-out: of one clinician with --practitioner-id, else of every clinician and of the workstation as a whole.": "清除 PIN 错误计数及由此产生的锁定：指定 --practitioner-id 时只清除该医师的，否则清除所有医师及整个工作站的。",
        "Set a new PIN for a registered clinician, with the same rules and prompts as add; their count of wrong PINs (and a lock-out) is cleared.": "为已登记的医师设置新的 PIN，规则和提示与 add 相同；其 PIN 错误计数（及锁定）随之清除。",
        "List the clinicians registered on this workstation (never their PINs).": "列出在本工作站登记的医师（从不显示 PIN）。",
        "Unregister a clinician: they can no longer unlock this workstation. What they wrote keeps their practitioner id.": "删除一位已登记的医师：此后不能再解锁本工作站。其已写入的内容保留其医师编号。",
        "turn an encrypted cache back into a plain one, as safely as encrypt": "把加密缓存还原为未加密缓存，与 encrypt 同样安全",
        "Unlock the cache (keyring or passphrase), write a plain copy beside it, check it, rename it over the encrypted one, then forget the key. Close the workstation and any sync first.": "解锁缓存（密钥环或口令），在旁边写一份未加密副本并检查，再改名替换加密文件，然后删除密钥。请先关闭工作站和同步。",
        "FHIR Practitioner id": "FHIR 医师（Practitioner）编号",
        "name shown at sign-in": "登录时显示的姓名",
        "list the registered clinicians": "列出已登记的医师",
        "unregister a clinician": "删除一位已登记的医师",
        "this workstation requires an encrypted cache ([security] require_encrypted_cache) and {path} is not encrypted; run clinic-tui encrypt": "本工作站要求加密缓存（[security] require_encrypted_cache），而 {path} 未加密；请运行 clinic-tui encrypt",
    }
)
