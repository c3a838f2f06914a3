//! What a password must be: the one rule for the account page, the API's
//! generated passwords and the CLI (`user create`, `user passwd`).
//!
//! At least `MIN_CHARS` characters and at most `MAX_BYTES` bytes; not the
//! login and, for logins of four characters or more, not containing it
//! (case-insensitively); and not too easy to guess. "Too easy" is measured by
//! marking every character that belongs to a guessable piece — a common
//! password or word from `COMMON` (also in "leet" spelling: `p@ssw0rd`), a run
//! of three or more along the alphabet, the digits or a keyboard row or column
//! (forwards or backwards), a repetition (`aaaa`, `abab`, `123123`) or a year
//! 1900–2099 — and requiring at least `MIN_UNGUESSABLE` characters outside
//! them. So `aaaaaaaaaa`, `1234567890`, `qwertyuiop`, `Password2024!` and
//! `woaini1314520` are refused while `correct horse battery` passes.

use crate::Invalid;

pub const MIN_CHARS: usize = 10;
pub const MAX_BYTES: usize = 256;
/// Characters a password needs outside its guessable pieces.
pub const MIN_UNGUESSABLE: usize = 4;

/// Check a new password for the account `login`.
pub fn check(password: &str, login: &str) -> Result<(), Invalid> {
    if password.len() > MAX_BYTES {
        return Err(Invalid::new("password", format!("a password may have at most {MAX_BYTES} bytes"))
            .zh(format!("密码最长 {MAX_BYTES} 字节")));
    }
    if password.chars().count() < MIN_CHARS {
        return Err(Invalid::new("password", format!("a password needs at least {MIN_CHARS} characters"))
            .zh(format!("密码至少需要 {MIN_CHARS} 个字符")));
    }
    // Full-width letters and digits (ｐａｓｓ１２３, typed with a Chinese input
    // method) are the same guesses as their ASCII forms.
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect::<String>()
            .to_lowercase()
    };
    let p = fold(password);
    let l = fold(login.trim());
    if !l.is_empty() && (p == l || (l.chars().count() >= 4 && p.contains(&l))) {
        return Err(Invalid::new("password", "a password must not be or contain the login")
            .zh("密码不能是登录名，也不能包含登录名"));
    }
    if unguessable(&p) < MIN_UNGUESSABLE {
        return Err(Invalid::new(
            "password",
            "this password is too easy to guess (a common password, a keyboard or alphabet sequence, \
             a repetition or a year); add words of your own",
        )
        .zh("密码太容易被猜到（常见密码、键盘或字母顺序、重复字符或年份），请加入自己的词语"));
    }
    Ok(())
}

/// How many characters of the (lower-cased) password lie outside every guessable piece.
pub fn unguessable(p: &str) -> usize {
    let raw: Vec<char> = p.chars().collect();
    let leet: Vec<char> = raw
        .iter()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            c => *c,
        })
        .collect();
    let mut weak = vec![false; raw.len()];
    for s in [&raw, &leet] {
        mark_common(s, &mut weak);
        mark_runs(s, &mut weak);
        mark_repeats(s, &mut weak);
    }
    mark_years(&raw, &mut weak);
    weak.iter().filter(|w| !**w).count()
}

fn mark(weak: &mut [bool], from: usize, len: usize) {
    weak[from..from + len].iter_mut().for_each(|w| *w = true);
}

fn mark_common(s: &[char], weak: &mut [bool]) {
    for word in COMMON {
        let w: Vec<char> = word.chars().collect();
        if w.len() < 3 || w.len() > s.len() {
            continue;
        }
        for i in 0..=s.len() - w.len() {
            if s[i..i + w.len()] == w[..] {
                mark(weak, i, w.len());
            }
        }
    }
}

/// Sequences people type without thinking: along the alphabet, the digits
/// and the keyboard's rows and columns. A piece of three or more characters
/// read along one of them (either way) is guessable.
const RUNS: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "!@#$%^&*()_+",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "qazwsxedcrfvtgbyhnujmikolp",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "a1b2c3d4e5f6g7h8i9",
];

fn mark_runs(s: &[char], weak: &mut [bool]) {
    for run in RUNS {
        let fwd: Vec<char> = run.chars().collect();
        let back: Vec<char> = fwd.iter().rev().copied().collect();
        for r in [fwd, back] {
            let mut i = 0;
            while i < s.len() {
                // The longest piece from i found in r.
                let mut best = 0;
                for start in r.iter().enumerate().filter(|(_, c)| **c == s[i]).map(|(k, _)| k) {
                    let n = s[i..].iter().zip(&r[start..]).take_while(|(a, b)| a == b).count();
                    best = best.max(n);
                }
                if best >= 3 {
                    mark(weak, i, best);
                    i += best;
                } else {
                    i += 1;
                }
            }
        }
    }
}

/// A unit of one to four characters said again: `aaa`, `abab`, `123123`.
fn mark_repeats(s: &[char], weak: &mut [bool]) {
    for unit in 1..=4 {
        let min = if unit == 1 { 3 } else { 2 * unit };
        let mut start = 0;
        while start + unit < s.len() {
            let mut end = start + unit;
            while end < s.len() && s[end] == s[end - unit] {
                end += 1;
            }
            if end - start >= min {
                mark(weak, start, end - start);
                start = end;
            } else {
                start += 1;
            }
        }
    }
}

fn mark_years(s: &[char], weak: &mut [bool]) {
    if s.len() < 4 {
        return;
    }
    for i in 0..=s.len() - 4 {
        let w = &s[i..i + 4];
        if w.iter().all(char::is_ascii_digit) && (w[..2] == ['1', '9'] || w[..2] == ['2', '0']) {
            mark(weak, i, 4);
        }
    }
}

/// Common passwords and the words and numbers they are made of: English and
/// pinyin, in lower case. Written for this project from the well-known
/// patterns (no list was copied).
pub const COMMON: &[&str] = &[
    // passwords and words seen everywhere
    "password",
    "passwort",
    "passwd",
    "pass",
    "qwerty",
    "azerty",
    "qwertz",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "adminadmin",
    "root",
    "toor",
    "test",
    "tester",
    "testing",
    "guest",
    "user",
    "login",
    "logon",
    "secret",
    "changeme",
    "default",
    "master",
    "monkey",
    "dragon",
    "shadow",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "basketball",
    "soccer",
    "superman",
    "batman",
    "spiderman",
    "starwars",
    "trustno1",
    "hello",
    "hellokitty",
    "whatever",
    "freedom",
    "computer",
    "internet",
    "server",
    "system",
    "access",
    "mustang",
    "michael",
    "jordan",
    "charlie",
    "daniel",
    "jessica",
    "ashley",
    "thomas",
    "hunter",
    "ranger",
    "buster",
    "harley",
    "killer",
    "pepper",
    "ginger",
    "summer",
    "winter",
    "spring",
    "autumn",
    "flower",
    "cookie",
    "banana",
    "orange",
    "apple",
    "cheese",
    "chocolate",
    "pokemon",
    "naruto",
    "minecraft",
    "google",
    "facebook",
    "wechat",
    "weixin",
    "tencent",
    "alibaba",
    "taobao",
    "baidu",
    "huawei",
    "xiaomi",
    "iphone",
    "samsung",
    "windows",
    "linux",
    "ubuntu",
    "oracle",
    "mysql",
    "postgres",
    "sqlite",
    "database",
    "manager",
    "office",
    "company",
    "service",
    "support",
    "family",
    "friend",
    "friends",
    "lovely",
    "loveme",
    "love",
    "lover",
    "baby",
    "angel",
    "blessed",
    "jesus",
    "god",
    "heaven",
    "magic",
    "matrix",
    "ninja",
    "pirate",
    "rocket",
    "silver",
    "golden",
    "diamond",
    "crystal",
    "purple",
    "yellow",
    "black",
    "white",
    "green",
    "blue",
    "red",
    "tiger",
    "lion",
    "eagle",
    "falcon",
    "wolf",
    "bear",
    "horse",
    "money",
    "lucky",
    "happy",
    "smile",
    "forever",
    "always",
    "nothing",
    "something",
    "qazwsx",
    "zaq12wsx",
    "asdasd",
    "qweqwe",
    "zxczxc",
    "qweasd",
    "qweasdzxc",
    "asdzxc",
    "abc",
    "abcd",
    "xyz",
    "aaa",
    "zzz",
    "abcabc",
    "password1",
    "passw0rd",
    "p@ssw0rd",
    "iloveu",
    "loveyou",
    "mypassword",
    "yourpassword",
    "newpassword",
    "oldpassword",
    "secure",
    "security",
    "private",
    "public",
    "temp",
    "temporary",
    "demo",
    "example",
    "sample",
    "hello123",
    "welcome1",
    "abc123",
    "qwe123",
    "aa123",
    "a123",
    "q1w2e3",
    // pinyin and Chinese habits
    "woaini",
    "woshinibaba",
    "nibaba",
    "yyyymmdd",
    "woaiwojia",
    "aini",
    "ainio",
    "wobuzhidao",
    "zhongguo",
    "china",
    "chinese",
    "beijing",
    "shanghai",
    "guangzhou",
    "shenzhen",
    "tianjin",
    "chongqing",
    "shandong",
    "dezhou",
    "jinan",
    "qingdao",
    "liaocheng",
    "nanjing",
    "hangzhou",
    "wuhan",
    "chengdu",
    "xian",
    "zhengzhou",
    "baobei",
    "laopo",
    "laogong",
    "mima",
    "mimamima",
    "zhanghao",
    "denglu",
    "yonghu",
    "guanli",
    "guanliyuan",
    "xitong",
    "ceshi",
    "wuye",
    "dangjian",
    "shequ",
    "jiedao",
    "xiaoqu",
    "zhengfu",
    "gongzhi",
    "hongse",
    "dangyuan",
    "dangzhibu",
    "yezhu",
    "yeweihui",
    "juweihui",
    "wangge",
    "fuwu",
    "renmin",
    "zhonghua",
    "huaxia",
    "kuaile",
    "xingfu",
    "pingan",
    "jiayou",
    "nihao",
    "nihaoma",
    "haha",
    "hehe",
    "xixi",
    "wangwang",
    "qq",
    "qqqq",
    "wang",
    "zhang",
    "liu",
    "chen",
    "yang",
    "zhao",
    "huang",
    "zhou",
    "sun",
    "zhu",
    "gao",
    "lin",
    "guo",
    "luo",
    "zheng",
    "liang",
    "song",
    "xie",
    "tang",
    "han",
    "feng",
    "deng",
    "cao",
    "peng",
    "zeng",
    "xiao",
    "tian",
    "dong",
    "pan",
    "yuan",
    "cai",
    "jiang",
    "jia",
    "ding",
    "wei",
    "xue",
    "fang",
    "shi",
    "yao",
    "tan",
    "lei",
    "long",
    "yun",
    "hong",
    "ming",
    "hua",
    "jun",
    "jie",
    "ling",
    "ping",
    "qiang",
    "yan",
    "xin",
    "jing",
    "yu",
    // numbers with meaning
    "1314",
    "520",
    "521",
    "5201314",
    "1314520",
    "147258369",
    "159357",
    "159753",
    "357159",
    "741852963",
    "963852741",
    "123654",
    "123321",
    "112233",
    "11223344",
    "121212",
    "110110",
    "111222",
    "666666",
    "888888",
    "999999",
    "168168",
    "518518",
    "10086",
    "10010",
    "12315",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "987654321",
    "9876543210",
    "000000",
    "00000000",
    "00000",
    // keyboard and sequence passwords as typed
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e",
    "q1w2e3r4",
    "qwer1234",
    "asdf1234",
    "zxcv1234",
    "abcd1234",
    "1234abcd",
    "1234qwer",
    "qwerasdf",
    "qwertyui",
    "asdfasdf",
    "qweasdzxc123",
    "zaq1xsw2",
    "zaq12wsxcde3",
    "!qaz2wsx",
    "1qazxsw2",
    "qazxsw",
    "a1b2c3",
    "a1b2c3d4",
    "aabbcc",
    "abcdef",
    "abcdefg",
    "abcdefgh",
    "aa123456",
    "a1234567",
    "a12345678",
    "admin123",
    "admin888",
    "admin666",
    "root123",
    "test123",
    "pass123",
    "pass1234",
    "password123",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        for p in [
            "aaaaaaaaaa",
            "1234567890",
            "0987654321",
            "qwertyuiop",
            "asdfghjkl;",
            "1qaz2wsx3edc",
            "1q2w3e4r5t6y",
            "Password2024!",
            "p@ssw0rd123",
            "woaini1314520",
            "ｐａｓｓｗｏｒｄ１２３",
            "woshinibaba88",
            "yyyyMMdd2020",
            "abcabcabcabc",
            "abcdefghij",
            "zhang19900101",
            "qwerty123456",
            "admin1234567",
            "1212121212",
            "5201314520",
            "Qwerty!2345",
            "test-password-1",
        ] {
            assert!(
                check(p, "someone").is_err(),
                "{p} should be refused ({} unguessable)",
                unguessable(&p.to_lowercase())
            );
        }
    }

    #[test]
    fn reasonable_passwords_pass() {
        for p in [
            "correct horse battery",
            "brand-new-pass-1",
            "tall-cedar-window-7",
            "红色物业共治共享2022",
            "Xk7-mQ9z-pL2r",
            "tea kettle on the hill",
        ] {
            assert_eq!(check(p, "someone"), Ok(()), "{p}");
        }
    }

    #[test]
    fn the_list_has_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for w in COMMON {
            assert!(seen.insert(*w), "{w} twice");
            assert_eq!(w.to_lowercase(), *w);
        }
        assert!(COMMON.len() >= 300, "{}", COMMON.len());
    }

    #[test]
    fn length_and_login() {
        assert!(check("short", "x").unwrap_err().reason.contains("at least 10"));
        assert!(check(&"x7Kq".repeat(65), "x").unwrap_err().reason.contains("at most 256"));
        assert!(check("zhangwei2x", "zhangwei2x").is_err());
        assert!(check("ZhangWei2X", "zhangwei2x").is_err(), "case does not matter");
        assert!(check("my-zhangwei-tea-pot", "zhangwei").unwrap_err().reason.contains("login"));
        assert!(check("kettle-ab-tea-pot", "ab").is_ok(), "a short login may appear by chance");
        let e = check("aaaaaaaaaa", "x").unwrap_err();
        assert!(e.reason_zh.is_some() && e.field == "password");
    }
}
