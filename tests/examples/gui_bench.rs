//! Desktop app benchmarks (`make bench-gui`): the release `vault-desktop` under Xvfb, driven
//! through tauri-driver, on a vault of 10,000 items made with the real CLI.
//!
//! - cold start: from the app process's start (its `/proc` start time) to the unlock screen
//!   shown in the page, and from the WebDriver's launch request to the same (the driver adds
//!   its own start-up);
//! - search: per keystroke in the search box over 10,000 items, from the input event to the
//!   next painted frame, measured in the page;
//! - memory: resident set of the app process, and of the app with its WebKit processes.
//!
//! Prints a Markdown section for BENCHMARKS.md with medians.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use vault_tests::PASSWORD;
use vault_tests::desktop::{Desktop, wait_js};

const ITEMS: usize = 10_000;
const COLD_STARTS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds since boot, as /proc counts them.
fn uptime() -> f64 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// When a process started, in seconds since boot.
fn started(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: f64 = rest.split_whitespace().nth(19).unwrap().parse().unwrap();
    ticks / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok());
    out.unwrap_or(100.0)
}

fn children(pid: u32) -> Vec<u32> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn descendants(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let kids = children(all[i]);
        all.extend(kids);
        i += 1;
    }
    all
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The app process, a descendant of the driver.
fn app_pid(driver: u32) -> u32 {
    descendants(driver)
        .into_iter()
        .find(|p| comm(*p).starts_with("vault-desktop"))
        .expect("vault-desktop among the driver's children")
}

/// Opens the app and waits for its unlock screen: the session, the driver's pid and the app's.
async fn launch_to_unlock(desktop: &mut Desktop) -> (fantoccini::Client, u32, u32) {
    let c = desktop.launch().await;
    let driver = desktop.driver_pid().expect("driver pid");
    wait_js(
        &c,
        "the unlock screen",
        "!!document.querySelector('#master-password')",
        Duration::from_secs(30),
    )
    .await;
    (c, driver, app_pid(driver))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut desktop = Desktop::new();
    let v = &desktop.vault;
    v.run(&["init", "--kdf", "minimum"]).ok();
    let env: String = (0..ITEMS)
        .map(|i| format!("SERVICE_{i:05}_API_KEY=value-{i:05}-abcdefghijklmnop\n"))
        .collect();
    v.run_with_stdin(&["import", "-", "--tag", "bench"], env.as_bytes())
        .ok();
    v.run(&["lock"]).ok();

    let mut cold_process = Vec::new();
    let mut cold_driver = Vec::new();
    for _ in 0..COLD_STARTS {
        let asked = Instant::now();
        let (c, _, app) = launch_to_unlock(&mut desktop).await;
        let shown = uptime();
        cold_driver.push(asked.elapsed().as_secs_f64() * 1000.0);
        cold_process.push((shown - started(app)) * 1000.0);
        c.close().await.ok();
        desktop.stop_driver();
    }

    let (c, driver, app) = launch_to_unlock(&mut desktop).await;
    let locked_rss = rss_kib(app);
    let input = c
        .find(fantoccini::Locator::Css("#master-password"))
        .await
        .unwrap();
    input.send_keys(PASSWORD).await.unwrap();
    input.send_keys("\u{E007}").await.unwrap();
    wait_js(
        &c,
        "10,000 items listed",
        &format!("document.body.innerText.includes('{ITEMS} items')"),
        Duration::from_secs(60),
    )
    .await;

    // Each keystroke: set the box, fire `input`, wait for the next painted frame.
    let script = r#"
        const done = arguments[arguments.length - 1];
        const input = document.querySelector('#search');
        const words = ['service_0', 'service_01', 'service_012', 'service_0123', 'service_01234',
                       'api', 'api_key', 'bench', 'value', 'zzz', 's', 'se', 'ser', 'serv', ''];
        const times = [];
        (async () => {
          for (let round = 0; round < 3; round++) {
            for (const w of words) {
              const t0 = performance.now();
              input.value = w;
              input.dispatchEvent(new Event('input', { bubbles: true }));
              await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
              times.push(performance.now() - t0);
            }
          }
          done(times);
        })();
    "#;
    let times: Vec<f64> =
        serde_json::from_value(c.execute_async(script, vec![]).await.unwrap()).unwrap();
    let keystroke_median = median(times.clone());
    let keystroke_max = times.iter().copied().fold(0.0, f64::max);

    let app_rss = rss_kib(app);
    let all_rss: u64 = descendants(app).into_iter().map(rss_kib).sum::<u64>()
        + descendants(driver)
            .into_iter()
            .filter(|p| comm(*p).starts_with("WebKit") && !descendants(app).contains(p))
            .map(rss_kib)
            .sum::<u64>();
    c.close().await.ok();

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name\t: ").map(str::to_owned))
        .unwrap_or_default();
    println!("## Desktop app\n");
    println!(
        "Machine: {cpu}, {} cores; Xvfb 1280x800; release build. Command: `make bench-gui` \
         (tests/examples/gui_bench.rs), {ITEMS} API keys imported with the CLI.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| measure | median | target |");
    println!("|---|---|---|");
    println!(
        "| cold start: app process start → unlock screen shown ({COLD_STARTS} runs) | {:.0} ms | ≤ 1500 ms |",
        median(cold_process)
    );
    println!(
        "| cold start incl. WebDriver start-up (launch request → unlock screen) | {:.0} ms | - |",
        median(cold_driver)
    );
    println!(
        "| search over {ITEMS} items, per keystroke to the next frame ({} keystrokes; max {keystroke_max:.1} ms) | {keystroke_median:.1} ms | ≤ 50 ms |",
        times.len()
    );
    println!(
        "| resident memory, app process with {ITEMS} items listed | {} MiB | ≤ 200 MiB |",
        app_rss / 1024
    );
    println!(
        "| resident memory, app + WebKit web and network processes | {} MiB | - |",
        all_rss / 1024
    );
    println!(
        "| resident memory, app process on the unlock screen (no items yet) | {} MiB | - |",
        locked_rss / 1024
    );
}
