//! Export the activity log of a time window to NDJSON, resumable after a kill.
//!
//! `cargo run -p dixa-client-ext --example export_window [FROM TO OUT]`
//!
//! After each page the output's length and the cursor of the next page are
//! saved in `OUT.cursor` (written to a temporary file, then renamed). A new
//! run truncates the output to the saved length and resumes from the
//! cursor, so a kill at any point neither loses nor repeats a line.
//! Without `DIXA_API_KEY` it runs against the embedded fake Dixa and, to
//! show the resume, stops after two pages and then runs again.

use std::fs::{self, OpenOptions};
use std::io::Write;

use dixa_client_ext::paginate::PageCursor;
use dixa_client_ext::prelude::*;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    bytes: u64,
    next: Option<PageCursor>,
}

/// Exports until done or until `max_pages` pages were written; returns the pages written.
async fn export(client: &DixaClient, from: Timestamp, to: Timestamp, out: &str, max_pages: usize) -> AnyResult<usize> {
    let state = format!("{out}.cursor");
    let checkpoint: Option<Checkpoint> = fs::read(&state).ok().map(|b| serde_json::from_slice(&b)).transpose()?;
    let mut file = OpenOptions::new().create(true).append(true).open(out)?;
    let listing = client.list_activity_logs().from_datetime(from).to_datetime(to).page_limit(50);
    let mut pages = match checkpoint {
        Some(Checkpoint { next: None, .. }) => return Ok(0), // finished earlier
        Some(Checkpoint { bytes, next: Some(cursor) }) => {
            file.set_len(bytes)?; // drop lines written after the last checkpoint
            listing.resume(cursor).pages()
        }
        None => listing.pages(),
    };
    let mut written = 0;
    while written < max_pages {
        let Some(page) = pages.try_next().await? else { break };
        for entry in page.items() {
            serde_json::to_writer(&mut file, entry)?;
            file.write_all(b"\n")?;
        }
        file.sync_data()?;
        let checkpoint = Checkpoint { bytes: file.metadata()?.len(), next: page.next_cursor().cloned() };
        fs::write(format!("{state}.tmp"), serde_json::to_vec(&checkpoint)?)?;
        fs::rename(format!("{state}.tmp"), &state)?;
        written += 1;
    }
    Ok(written)
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let from: Timestamp = args.first().map_or("2024-01-01T00:00:00Z", String::as_str).parse()?;
    let to: Timestamp = args.get(1).map_or("2030-01-01T00:00:00Z", String::as_str).parse()?;
    let out =
        args.get(2).cloned().unwrap_or_else(|| std::env::temp_dir().join("dixa-activity.ndjson").display().to_string());
    if std::env::var("DIXA_API_KEY").is_ok_and(|k| !k.is_empty()) {
        let pages = export(&DixaClient::from_env()?, from, to, &out, usize::MAX).await?;
        println!("{pages} pages appended to {out}");
        return Ok(());
    }
    // The demo: a fresh export against the fake, "killed" after two pages, then resumed.
    let _ = (fs::remove_file(&out), fs::remove_file(format!("{out}.cursor")));
    let fake = dixa_fake::FakeDixa::builder().conversations(120).spawn().await;
    let client = DixaClient::new(Config::new("example-key").base_url(fake.base_url()))?;
    let first = export(&client, from.clone(), to.clone(), &out, 2).await?;
    let rest = export(&client, from, to, &out, usize::MAX).await?;
    let lines: Vec<serde_json::Value> =
        fs::read_to_string(&out)?.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    let unique: std::collections::HashSet<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    println!("{first} pages, stopped, then {rest} more: {} lines in {out}, {} distinct", lines.len(), unique.len());
    if lines.len() != unique.len() || lines.is_empty() {
        return Err("the resumed export repeated or lost lines".into());
    }
    Ok(())
}
