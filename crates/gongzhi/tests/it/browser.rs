//! Browser journeys at phone width (390 × 844): the real binary serves the
//! demo, Debian's Chromium is driven through chromedriver (WebDriver), and
//! every role's core task is done as its people do it — tapping, typing,
//! attaching photos. On every page visited, every link must open (2xx after
//! redirects) for that reader.
//!
//! Needs `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the test says so and passes, except under CI, where it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const PASSWORD: &str = gongzhi::demo::PASSWORD;

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on `port`.
async fn listening(port: u16, within: Duration, what: &str) {
    let t0 = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(t0.elapsed() < within, "{what} did not start listening on {port} within {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// The gongzhi binary serving a fresh demo, and chromedriver beside it.
struct Rig {
    base: String,
    driver: String,
    _server: Running,
    _chromedriver: Running,
    dir: PathBuf,
}

async fn rig() -> Option<Rig> {
    let Some(driver_bin) = chromedriver() else {
        assert!(std::env::var("CI").is_err(), "CI runs the browser journeys: install chromium and chromium-driver");
        eprintln!("browser journeys skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("gongzhi_browser_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_gongzhi"))
        .args(["--data", dir.join("data").to_str().unwrap(), "demo", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--file", dir.join("demo.db").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the gongzhi binary runs");
    let server = Running(server);
    let dport = free_port();
    let cd = Command::new(driver_bin)
        .arg(format!("--port={dport}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs");
    let cd = Running(cd);
    listening(dport, Duration::from_secs(30), "chromedriver").await;
    // The demo is built before it is served: a debug build takes a while.
    listening(port, Duration::from_secs(240), "the demo").await;
    Some(Rig {
        base: format!("http://127.0.0.1:{port}"),
        driver: format!("http://127.0.0.1:{dport}"),
        _server: server,
        _chromedriver: cd,
        dir,
    })
}

impl Rig {
    /// A browser at phone width, signed in as nobody.
    async fn phone(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=390,844", "--lang=zh-CN"],
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector).capabilities(caps).connect(&self.driver).await.expect("a WebDriver session")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

/// A PNG as far as the server checks it (by its signature).
fn png(fill: u8) -> Vec<u8> {
    [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[fill; 256][..]].concat()
}

async fn sign_in(rig: &Rig, c: &Client, login: &str) {
    c.goto(&rig.url("/login")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
    c.goto(&rig.url("/login")).await.unwrap();
    c.find(Locator::Css("input[name=login]")).await.unwrap().send_keys(login).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    wait_path(c, |p| p != "/login").await;
}

/// The links on the page whose address starts with `prefix`.
async fn hrefs(c: &Client, prefix: &str) -> Vec<String> {
    c.execute("return [...document.querySelectorAll('a')].map(a => a.getAttribute('href')).filter(h => h && h.startsWith(arguments[0]))", vec![json!(prefix)])
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// The browser's location as a path with its query.
async fn here(c: &Client) -> String {
    let u = c.current_url().await.unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

/// Waits until the browser's location satisfies `ok`; returns it.
async fn wait_path(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        let p = here(c).await;
        if ok(&p) {
            return p;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "still at {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's text holds `needle`; returns the text.
async fn wait_text(c: &Client, needle: &str) -> String {
    let t0 = Instant::now();
    loop {
        let t = text(c).await;
        if t.contains(needle) {
            return t;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "no {needle:?} on {}: {t}", here(c).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page's rendered text, read in one script call: finding `body` and then
/// asking its text could straddle a navigation (a stale element).
async fn text(c: &Client) -> String {
    let t0 = Instant::now();
    loop {
        match c.execute("return document.body ? document.body.innerText : '';", vec![]).await {
            Ok(v) => return v.as_str().unwrap_or_default().to_owned(),
            Err(e) => assert!(t0.elapsed() < Duration::from_secs(30), "cannot read the page's text: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every same-site link on the page answers this reader 2xx (after
/// redirects), fetched by the page itself with the reader's cookie. Links
/// already checked for this reader (`seen`) are not fetched again.
async fn links_open(c: &Client, seen: &mut Vec<String>) {
    let at = here(c).await;
    let r = c
        .execute(
            r#"const seen = new Set(arguments[0]);
               return (async () => {
                 const hrefs = [...new Set([...document.querySelectorAll('a[href^="/"]')].map(a => a.getAttribute('href')))]
                   .filter(h => !h.startsWith('/lang/') && !seen.has(h));
                 const failed = [];
                 for (const h of hrefs) {
                   const r = await fetch(h, { credentials: 'same-origin' });
                   if (!r.ok) failed.push(h + ' → ' + r.status);
                 }
                 return [hrefs, failed];
               })();"#,
            vec![json!(seen)],
        )
        .await
        .unwrap();
    assert_eq!(r[1], json!([]), "links on {at} that do not open");
    seen.extend(r[0].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()));
}

/// The page is not an error page, and nothing on it overflows a phone's width.
async fn fits(c: &Client) {
    let at = here(c).await;
    let t = c.title().await.unwrap();
    assert!(!t.starts_with("出错了"), "{at} is an error page: {}", text(c).await);
    let wide = c
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
        .await
        .unwrap();
    assert!(wide.as_i64().unwrap_or(0) <= 1, "{at} is wider than the phone by {wide} px");
}

async fn visit(c: &Client, rig: &Rig, path: &str, seen: &mut Vec<String>) {
    c.goto(&rig.url(path)).await.unwrap();
    fits(c).await;
    links_open(c, seen).await;
}

async fn fetch_status(c: &Client, href: &str) -> (i64, String) {
    let r: Value = c
        .execute(
            "return fetch(arguments[0], { credentials: 'same-origin' }) \
             .then(r => [r.status, r.headers.get('content-type') || '']);",
            vec![json!(href)],
        )
        .await
        .unwrap();
    (r[0].as_i64().unwrap(), r[1].as_str().unwrap().to_owned())
}

fn id_in(path: &str) -> i64 {
    path.trim_start_matches("/problems/").split(['?', '/']).next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_does_its_work_in_a_phone_browser() {
    let t0 = Instant::now();
    let stage = |what: &str| eprintln!("browser: {what} at {:.1} s", t0.elapsed().as_secs_f64());
    let Some(rig) = rig().await else { return };
    stage("demo served");
    let c = rig.phone().await;
    let (before, after) = (rig.file("before.png", &png(1)), rig.file("after.png", &png(2)));
    // Links checked for the reader signed in now.
    let mut seen: Vec<String> = Vec::new();

    // A resident reports with a photo.
    seen.clear();
    sign_in(&rig, &c, "fenghua_101").await;
    assert_eq!(wait_path(&c, |p| p.starts_with("/problems")).await, "/problems", "residents land on their problems");
    fits(&c).await;
    links_open(&c, &mut seen).await;
    let report = async |description: &str, photo: Option<&str>| {
        c.goto(&rig.url("/problems")).await.unwrap();
        let summary = c.find(Locator::Css("details summary")).await.unwrap();
        if c.find(Locator::Css("details[open]")).await.is_err() {
            summary.click().await.unwrap();
        }
        c.find(Locator::Css("textarea[name=description]")).await.unwrap().send_keys(description).await.unwrap();
        if let Some(p) = photo {
            c.find(Locator::Css("form[action='/problems'] input[name=photo]"))
                .await
                .unwrap()
                .send_keys(p)
                .await
                .unwrap();
        }
        c.find(Locator::Css("form[action='/problems'] button")).await.unwrap().click().await.unwrap();
        id_in(&wait_path(&c, |p| p.starts_with("/problems/")).await)
    };
    let first = report("楼道灯不亮，晚上看不见台阶", Some(&before)).await;
    fits(&c).await;
    assert!(text(&c).await.contains("楼道灯不亮"));
    assert_eq!(c.find_all(Locator::Css("img.photo")).await.unwrap().len(), 1, "the photo is on the report");
    links_open(&c, &mut seen).await;
    let second = report("小区门口乱停车", None).await;

    stage("resident reported");
    // The company accepts the first and resolves it with an after photo; rejects the second.
    seen.clear();
    sign_in(&rig, &c, "fenghua_wy").await;
    visit(&c, &rig, "/problems", &mut seen).await;
    assert!(
        c.find(Locator::Css(&format!("a[href='/problems/{first}']"))).await.is_ok(),
        "the report is in the company's inbox"
    );
    let step = async |id: i64, step: &str, note: &str, photo: Option<&str>| {
        c.goto(&rig.url(&format!("/problems/{id}"))).await.unwrap();
        if !note.is_empty() {
            c.find(Locator::Css("input[name=note]")).await.unwrap().send_keys(note).await.unwrap();
        }
        if let Some(p) = photo {
            c.find(Locator::Css("form[action$='/steps'] input[name=photo]")).await.unwrap().send_keys(p).await.unwrap();
        }
        c.find(Locator::Css(&format!("button[name=step][value={step}]"))).await.unwrap().click().await.unwrap();
        // Done: back to the problem with ?done=1; refused: the form again, at /steps.
        let before = format!("/problems/{id}");
        wait_path(&c, |p| p != before).await;
        fits(&c).await;
    };
    step(first, "accept", "", None).await;
    step(first, "resolve", "已更换灯泡", Some(&after)).await;
    assert_eq!(c.find_all(Locator::Css("img.photo")).await.unwrap().len(), 2, "the after photo joins the report's");
    links_open(&c, &mut seen).await;
    step(second, "reject", "", None).await;
    let page = text(&c).await;
    assert!(page.contains("输入有误"), "a rejection without its reason is marked on the page: {page}");
    step(second, "reject", "不属于物业服务范围，请联系交警", None).await;

    stage("company done");
    // The resident rates the first.
    seen.clear();
    sign_in(&rig, &c, "fenghua_101").await;
    c.goto(&rig.url(&format!("/problems/{first}"))).await.unwrap();
    c.find(Locator::Css("button[name=rating][value=satisfied]")).await.unwrap().click().await.unwrap();
    wait_path(&c, |p| p.ends_with("done=1")).await;
    wait_text(&c, "已关闭").await;
    links_open(&c, &mut seen).await;

    stage("rated");
    // The same resident, an owner, reads the vote open today, votes, keeps the
    // receipt, and reads a final result with its four fractions.
    seen.clear();
    c.goto(&rig.url("/votes")).await.unwrap();
    fits(&c).await;
    c.find(Locator::XPath("//a[contains(., '增设电动自行车集中充电棚')]"))
        .await
        .expect("the open vote is listed")
        .click()
        .await
        .unwrap();
    let open = wait_path(&c, |p| p.starts_with("/votes/")).await;
    assert!(text(&c).await.contains("投票中"), "{}", text(&c).await);
    fits(&c).await;
    c.find(Locator::Css("form[action$='/ballot'] input[value=agree]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("form[action$='/ballot'] button")).await.unwrap().click().await.unwrap();
    let receipt = wait_text(&c, "已投票。").await;
    assert!(receipt.contains("同意") && receipt.contains("修改我的投票"), "{receipt}");
    assert_eq!(here(&c).await, format!("{open}?cast=1"), "back on the vote, told it is in");
    fits(&c).await;
    links_open(&c, &mut seen).await;
    c.goto(&rig.url("/votes")).await.unwrap();
    c.find(Locator::XPath("//a[contains(., '丰华小区首次业主大会')]"))
        .await
        .expect("the first assembly is listed")
        .click()
        .await
        .unwrap();
    let result = wait_text(&c, "最终结果").await;
    assert!(result.contains("≥ 2/3") && result.contains("可请求法院撤销"), "{result}");
    fits(&c).await;
    links_open(&c, &mut seen).await;

    stage("owner voted");
    // The same owner reads last month's statement of the common funds and opens its voucher.
    seen.clear();
    c.goto(&rig.url("/ledger")).await.unwrap();
    wait_path(&c, |p| p.starts_with("/compounds/") && p.ends_with("/ledger")).await;
    fits(&c).await;
    links_open(&c, &mut seen).await;
    c.find(Locator::XPath("//a[contains(@href, '/statements/') and contains(., '共有资金账户')]"))
        .await
        .expect("the latest statement is listed")
        .click()
        .await
        .unwrap();
    let statement = wait_text(&c, "期末余额").await;
    assert!(statement.contains("公开于") && statement.contains("物业费收入"), "{statement}");
    fits(&c).await;
    links_open(&c, &mut seen).await;
    let vouchers = hrefs(&c, "/ledger/entries/").await;
    assert!(!vouchers.is_empty(), "the statement lists its vouchers");
    assert_eq!(fetch_status(&c, &vouchers[0]).await, (200, "application/pdf".to_owned()));
    stage("owner read the accounts");
    // The street finds the rejection in its default inbox and reviews it.
    seen.clear();
    sign_in(&rig, &c, "xinhu").await;
    visit(&c, &rig, "/problems", &mut seen).await;
    let inbox = text(&c).await;
    assert!(inbox.contains("待复核"), "{inbox}");
    c.find(Locator::Css(&format!("a[href='/problems/{second}']")))
        .await
        .expect("the rejection is on the street's default list")
        .click()
        .await
        .unwrap();
    wait_path(&c, |p| p == format!("/problems/{second}")).await;
    step(second, "overturn_rejection", "门口停车归物业管理，请处理", None).await;
    assert!(text(&c).await.contains("重新办理"), "{}", text(&c).await);
    links_open(&c, &mut seen).await;

    stage("street reviewed");
    // The city's supervisor: the dashboard, every card's drill-down, both bulletins.
    seen.clear();
    sign_in(&rig, &c, "dezhou").await;
    let dash = wait_path(&c, |p| p.starts_with("/dashboard")).await;
    fits(&c).await;
    links_open(&c, &mut seen).await;
    let drills: Vec<String> = hrefs(&c, "/dashboard/drill").await;
    assert_eq!(drills.len(), 9, "a drill-down from every card on {dash}: {drills:?}");
    stage("dashboard seen");
    for d in &drills {
        visit(&c, &rig, d, &mut seen).await;
    }
    stage("drilled down");
    c.goto(&rig.url(&dash)).await.unwrap();
    for (kind, mime) in [("bulletin.xlsx", "spreadsheetml"), ("bulletin.docx", "wordprocessingml")] {
        let href =
            c.find(Locator::Css(&format!("a[href*='{kind}']"))).await.unwrap().attr("href").await.unwrap().unwrap();
        let (status, ct) = fetch_status(&c, &href).await;
        assert_eq!(status, 200, "{href}");
        assert!(ct.contains(mime), "{href}: {ct}");
    }

    stage("bulletins fetched");
    // Oversight of companies: the hub, a quarter's grades, the lowest company's
    // score with every fact, a campaign and a notice — all at phone width.
    visit(&c, &rig, "/oversight?region=3714", &mut seen).await;
    visit(&c, &rig, "/oversight/grades?region=3714&period=2020Q4", &mut seen).await;
    let companies: Vec<String> = hrefs(&c, "/oversight/grades/companies/").await;
    let lowest = companies.last().expect("the quarter's companies are listed");
    visit(&c, &rig, lowest, &mut seen).await;
    let score = text(&c).await;
    assert!(score.contains("计分依据") && score.contains("现场督导"), "{score}");
    visit(&c, &rig, "/oversight/campaigns/1", &mut seen).await;
    assert!(text(&c).await.contains("第一轮物业领域突出问题专项整治"));
    visit(&c, &rig, "/grades/public?region=3714", &mut seen).await;

    stage("supervisor done");
    // The street's officer inspects 丰华小区 and issues a notice from what was found.
    seen.clear();
    sign_in(&rig, &c, "xinhu").await;
    visit(&c, &rig, "/oversight/inspections/new", &mut seen).await;
    c.find(Locator::Css("form[action='/oversight/inspections'] input[name=compound]"))
        .await
        .unwrap()
        .send_keys("丰华小区")
        .await
        .unwrap();
    c.execute(
        "const f = document.querySelector('form[action=\"/oversight/inspections\"]');
         f.score_0.value = '10'; f.finding_0.value = '楼道杂物堆放'; f.issue.checked = true;
         f.requirement.value = '十日内清理完毕';",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Css("form[action='/oversight/inspections'] button")).await.unwrap().click().await.unwrap();
    wait_path(&c, |p| p.starts_with("/oversight/notices/")).await;
    let notice = wait_text(&c, "楼道杂物堆放").await;
    assert!(notice.contains("已下发") && notice.contains("打印通知单"), "{notice}");
    fits(&c).await;
    links_open(&c, &mut seen).await;

    stage("inspected");
    // The administrator makes a resident's account with the pickers.
    seen.clear();
    sign_in(&rig, &c, "admin").await;
    visit(&c, &rig, "/users", &mut seen).await;
    c.find(Locator::Css("input[name=login]")).await.unwrap().send_keys("browser_r1").await.unwrap();
    c.find(Locator::Css("input[name=display_name]")).await.unwrap().send_keys("浏览器住户").await.unwrap();
    c.find(Locator::Css("select[name=role] option[value=resident]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("input[name=scope]")).await.unwrap().send_keys("丰华小区 1号楼 10").await.unwrap();
    let t0 = Instant::now();
    let label = loop {
        let v = c
            .execute("const o = document.querySelector('#scope-options option'); return o ? o.value : null", vec![])
            .await
            .unwrap();
        if let Some(s) = v.as_str() {
            break s.to_owned();
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "the picker offered nothing");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(label.starts_with("丰华小区 1号楼") && label.contains("#unit:"), "{label}");
    c.execute("document.querySelector('input[name=scope]').value = arguments[0]", vec![json!(label)]).await.unwrap();
    c.find(Locator::Css("form[action='/users#new'] button")).await.unwrap().click().await.unwrap();
    let page = wait_text(&c, "初始密码只显示这一次").await;
    assert!(page.contains("丰华小区 1号楼"), "{page}");
    fits(&c).await;
    links_open(&c, &mut seen).await;
    stage("account made");
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(Path::new(&rig.dir));
}
