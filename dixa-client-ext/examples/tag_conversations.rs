//! Tag 2,000 conversations, with partial failures and a progress line.
//!
//! `cargo run -p dixa-client-ext --example tag_conversations [TAG_ID FIRST_ID COUNT]`
//!
//! Eight calls in flight; the client's limiter keeps them under Dixa's 10
//! requests per second (about 3.5 minutes for 2,000 against the real API)
//! and retries what is safe to retry. A conversation that fails is reported
//! with Dixa's reason and the run goes on. Without `DIXA_API_KEY` it tags
//! conversations of the embedded fake Dixa, some of which do not exist.

use std::io::Write;

use dixa_client_ext::prelude::*;
use dixa_client_ext::RateLimit;

async fn tag_all(client: &DixaClient, tag: Uuid, ids: Vec<i64>) -> Vec<(i64, Error)> {
    let total = ids.len();
    let mut calls = futures::stream::iter(ids)
        .map(|id| async move { (id, client.tag_conversation().conversation_id(id).tag_id(tag).send().await) })
        .buffer_unordered(8);
    let (mut done, mut failed) = (0, Vec::new());
    while let Some((id, result)) = calls.next().await {
        done += 1;
        if let Err(e) = result {
            failed.push((id, e));
        }
        if done % 100 == 0 || done == total {
            print!("\r{done}/{total} done, {} failed", failed.len());
            let _ = std::io::stdout().flush();
        }
    }
    println!();
    failed
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (client, tag, ids, _fake) = if std::env::var("DIXA_API_KEY").is_ok_and(|k| !k.is_empty()) {
        let tag: Uuid = args.first().ok_or("usage: TAG_ID FIRST_ID COUNT")?.parse()?;
        let first: i64 = args.get(1).ok_or("usage: TAG_ID FIRST_ID COUNT")?.parse()?;
        let count: i64 = args.get(2).map_or(Ok(2000), |c| c.parse())?;
        (DixaClient::from_env()?, tag, (first..first + count).collect(), None)
    } else {
        // 1,950 conversations exist: the last 50 ids fail with 404. The fake
        // has no rate limit, so the client's limiter is off for the demo.
        let fake = dixa_fake::FakeDixa::builder().conversations(1950).spawn().await;
        let config = Config::new("example-key").base_url(fake.base_url()).rate_limit(RateLimit::off());
        let first = fake.conversation_id(0);
        (DixaClient::new(config)?, fake.tag_id(0).parse()?, (first..first + 2000).collect(), Some(fake))
    };
    let failed = tag_all(&client, tag, ids).await;
    for (id, e) in failed.iter().take(5) {
        println!("conversation {id}: {}", e.api_message().unwrap_or("no answer"));
    }
    let not_found = failed.iter().filter(|(_, e)| e.is_not_found()).count();
    println!(
        "{} failed ({not_found} not found, {} worth retrying later)",
        failed.len(),
        failed.iter().filter(|(_, e)| e.is_retryable()).count()
    );
    Ok(())
}
