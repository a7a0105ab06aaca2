//! `dixa-fake`: runs the fake Dixa API on a loopback port for manual testing.
//!
//! ```text
//! cargo run -p dixa-fake -- --port 8787 --agents 40 --end-users 10000
//! curl -s 'http://127.0.0.1:8787/v1/agents?pageLimit=5'
//! ```

use std::process::ExitCode;
use std::time::Duration;

use dixa_fake::{FakeDixa, RetryAfterMode};

const USAGE: &str = "usage: dixa-fake [--port N] [--agents N] [--end-users N] [--conversations N]
                 [--page-latency-ms N] [--rate-limit RPS,BURST] [--retry-after SECS|date]
                 [--absolute-next-links] [--api-key-env VAR]

Runs the fake Dixa API on 127.0.0.1 and prints its base URL. The API key, if
any, is read from the environment variable named by --api-key-env so that it
never appears in the process list.";

fn parse_num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
}

fn configure(args: Vec<String>) -> Result<(u16, dixa_fake::FakeDixaBuilder), String> {
    let mut port = 0u16;
    let mut b = FakeDixa::builder();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--port" => port = parse_num(&flag, it.next())?,
            "--agents" => b = b.agents(parse_num(&flag, it.next())?),
            "--end-users" => b = b.end_users(parse_num(&flag, it.next())?),
            "--conversations" => b = b.conversations(parse_num(&flag, it.next())?),
            "--page-latency-ms" => b = b.page_latency(Duration::from_millis(parse_num(&flag, it.next())?)),
            "--rate-limit" => {
                let v = it.next().ok_or("--rate-limit needs RPS,BURST")?;
                let (r, s) = v.split_once(',').ok_or("--rate-limit needs RPS,BURST")?;
                b = b.rate_limit(
                    parse_num("--rate-limit", Some(r.to_owned()))?,
                    parse_num("--rate-limit", Some(s.to_owned()))?,
                );
            }
            "--retry-after" => {
                let v = it.next().ok_or("--retry-after needs SECS or date")?;
                b = b.retry_after(if v == "date" {
                    RetryAfterMode::HttpDate
                } else {
                    RetryAfterMode::Seconds(parse_num("--retry-after", Some(v))?)
                });
            }
            "--absolute-next-links" => b = b.absolute_next_links(true),
            "--api-key-env" => {
                let var = it.next().ok_or("--api-key-env needs a variable name")?;
                let key = std::env::var(&var).map_err(|_| format!("environment variable {var} is not set"))?;
                b = b.api_key(Some(key));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((port, b))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (port, builder) = match configure(std::env::args().skip(1).collect()) {
        Ok(c) => c,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("dixa-fake: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    let fake = match builder.try_spawn_on_port(port).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("dixa-fake: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", fake.base_url());
    eprintln!("dixa-fake: serving the fake Dixa API; try {}/v1/agents?pageLimit=5 (Ctrl-C to stop)", fake.base_url());
    // Serve until the process is killed.
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
