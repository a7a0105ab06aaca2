//! Who is online: every agent's presence, with names, grouped by status.
//!
//! `cargo run -p dixa-client-ext --example presence_report`
//! (against the embedded fake Dixa unless `DIXA_API_KEY` is set).

use std::collections::{BTreeMap, HashMap};

use dixa_client_ext::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = match std::env::var("DIXA_API_KEY") {
        Ok(key) if !key.is_empty() => None,
        _ => Some(dixa_fake::FakeDixa::builder().agents(25).spawn().await),
    };
    let client = match &fake {
        Some(fake) => DixaClient::new(Config::new("example-key").base_url(fake.base_url()))?,
        None => DixaClient::from_env()?,
    };
    let names: HashMap<Uuid, String> =
        client.list_agents().items().map_ok(|a| (a.id, a.display_name)).try_collect().await?;
    let mut by_status: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for presence in client.agents_list_presence().send().await? {
        let status = presence.presence_status.map_or("Unknown".into(), |s| s.to_string());
        let name = names.get(&presence.user_id).map_or("(not an agent)", String::as_str);
        by_status.entry(format!("{status} / {}", presence.connection_status)).or_default().push(name);
    }
    for (status, agents) in &by_status {
        println!("{status:<28} {:>3}  {}", agents.len(), agents.join(", "));
    }
    Ok(())
}
