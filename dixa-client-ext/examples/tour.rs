//! The quick start: `cargo run -p dixa-client-ext --example tour`.
//!
//! **Without `DIXA_API_KEY`** (a fresh machine, no Dixa account) it starts the
//! embedded fake Dixa on 127.0.0.1, rate limited like the real API, and tours
//! what this crate adds over raw HTTP:
//!
//! 1. stream every agent across pages, and resume from a saved cursor;
//! 2. a bulk update with mixed outcomes, partitioned into successes and
//!    failures (NotFound, Validation, EmptyPatchSet);
//! 3. a 429 with `Retry-After` absorbed by a retry;
//! 4. a conversation type this spec does not know, decoded as `Unknown`;
//! 5. typed errors: Dixa's 404 message, and input refused before sending.
//!
//! Every step checks what it shows, so CI runs the tour as a smoke test: the
//! exit code is 0 only if every step behaved as described, and otherwise the
//! tour stops with a message naming the step and what differed.
//!
//! **With `DIXA_API_KEY`** (and optionally `DIXA_BASE_URL`) it makes
//! READ-ONLY calls against that account instead: one page of agents, the
//! first end users streamed across pages, the tags. It never writes, and the
//! key is never printed.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dixa_client_ext::config::ENV_API_KEY;
use dixa_client_ext::prelude::*;
use dixa_fake::{FakeDixa, Method, RetryAfterMode};

// The fake's data: "a few dozen agents, a few hundred end users", sized so
// that the agent listing spans several pages of `PAGE_LIMIT`.
const AGENTS: usize = 36;
const END_USERS: usize = 300;
const CONVERSATIONS: usize = 120;
/// Small on purpose, so that streaming 36 agents takes several pages.
const PAGE_LIMIT: i32 = 10;
/// The conversation the fake serves as `InstagramConversation`, a type the
/// spec does not know.
const UNKNOWN_CONVERSATION: usize = 3;
/// The fake's `Retry-After`, in seconds: short, so the tour stays quick.
const RETRY_AFTER_SECS: u64 = 1;
/// How many end users the read-only tour streams from a real account.
const REAL_END_USERS: usize = 25;
/// Rows shown of a long listing from a real account.
const REAL_MAX_ROWS: usize = 15;

#[tokio::main]
async fn main() -> ExitCode {
    // An empty variable counts as unset: `DIXA_API_KEY= cargo run ...` means
    // "no account", not "an account with an empty key".
    let has_key = std::env::var(ENV_API_KEY).is_ok_and(|k| !k.trim().is_empty());
    let outcome = if has_key { real_account_tour().await } else { fake_tour().await };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\ntour FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------
// Step plumbing: a failed call and a surprising result both stop the tour.
// ---------------------------------------------------------------------------

/// Why a step failed.
enum Failure {
    /// A call returned an error the step did not expect.
    Call(Error),
    /// A call succeeded, but not the way the step says it should.
    Unexpected(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Call(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The client's errors already say what to do about them.
            Failure::Call(e) => write!(f, "a call failed: {e}"),
            Failure::Unexpected(what) => write!(f, "unexpected result: {what}"),
        }
    }
}

type Step<T = ()> = Result<T, Failure>;

/// Fails the step with `what()` unless `ok`: the checks that make the tour a
/// smoke test. `what` is lazy so that messages are built only on failure.
fn expect(ok: bool, what: impl FnOnce() -> String) -> Step {
    if ok {
        Ok(())
    } else {
        Err(Failure::Unexpected(what()))
    }
}

/// Prints the step's heading, runs it, and names the step in its failure.
async fn step<T>(n: usize, title: &str, body: impl Future<Output = Step<T>>) -> Result<T, String> {
    println!("\n{n}. {title}");
    println!("   {}", "-".repeat(title.chars().count()));
    body.await.map_err(|e| format!("step {n} ({title}): {e}"))
}

// ---------------------------------------------------------------------------
// The tour against the embedded fake Dixa.
// ---------------------------------------------------------------------------

async fn fake_tour() -> Result<(), String> {
    let started = Instant::now();
    // Dixa's documented limit (10 requests per second, bursts of 4) on the
    // server side too, so the client's own limiter is shown keeping under it.
    let fake = FakeDixa::builder()
        .agents(AGENTS)
        .end_users(END_USERS)
        .conversations(CONVERSATIONS)
        .rate_limit(10, 4)
        .retry_after(RetryAfterMode::Seconds(RETRY_AFTER_SECS))
        .with_unknown_conversation_type(UNKNOWN_CONVERSATION)
        .try_spawn()
        .await
        .map_err(|e| format!("could not start the fake Dixa on 127.0.0.1: {e}"))?;
    // The fake accepts any key; the client requires one, so give it a
    // placeholder that is obviously not a real token.
    let client = DixaClient::new(Config::new("tour-placeholder-key").base_url(fake.base_url()))
        .map_err(|e| format!("could not build the client: {e}"))?;

    println!("dixa-rs tour: DIXA_API_KEY is not set, so this runs against the embedded fake Dixa.");
    kv(
        "fake Dixa",
        &format!("{}  ({AGENTS} agents, {END_USERS} end users, {CONVERSATIONS} conversations)", fake.base_url()),
    );
    kv(
        "its limit",
        &format!("10 requests/s, bursts of 4 (Dixa's documented limit); 429s carry Retry-After: {RETRY_AFTER_SECS}"),
    );
    kv("the client", "default settings: limiter at 10/s bursts of 4, up to 4 attempts per call");
    println!("Set DIXA_API_KEY (and optionally DIXA_BASE_URL) to make read-only calls to your account instead.");

    step(1, "Stream every agent across pages", stream_agents(&client)).await?;
    step(2, "Bulk patch agents: mixed outcomes, partitioned", bulk_patch(&client, &fake)).await?;
    step(3, "A 429 absorbed by a retry", absorb_429(&client, &fake)).await?;
    step(4, "Forward compatibility: a conversation type the spec does not know", unknown_conversation(&client, &fake))
        .await?;
    step(5, "Typed errors", typed_errors(&client, &fake)).await?;

    // The client-side limiter's promise: a lone client never meets the
    // server's rate limit (the only 429 above was the injected one).
    let refused = fake.stats().rate_limited();
    if refused != 0 {
        return Err(format!(
            "the fake's rate limiter refused {refused} requests: the client-side limiter should have kept this lone client under 10 requests/s"
        ));
    }
    let stats = client.stats();
    println!("\nAll 5 steps behaved as expected in {}.", secs(started.elapsed()));
    kv(
        "client",
        &format!(
            "{} calls, {} HTTP attempts, {} retry; paced by its own limiter {} times ({} in total)",
            stats.calls,
            stats.attempts,
            stats.retries,
            stats.rate_limited_waits,
            secs(stats.rate_limited_wait)
        ),
    );
    kv("server", "0 requests refused by its rate limit: the client-side limiter kept under it");
    Ok(())
}

/// Step 1: a lazy stream of pages, one page in memory at a time; then the
/// cursor saved after page 2 resumes the listing in a fresh stream, as a
/// long export would after a crash.
async fn stream_agents(client: &DixaClient) -> Step {
    let mut pages = client.list_agents().page_limit(PAGE_LIMIT).pages();
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    let mut saved = None;
    while let Some(page) = pages.try_next().await? {
        let name = |a: Option<&types::Agent>| a.map_or_else(String::new, |a| a.display_name.clone());
        rows.push(vec![
            (rows.len() + 1).to_string(),
            page.len().to_string(),
            name(page.items().first()),
            name(page.items().last()),
            if page.next_cursor().is_some() { "yes" } else { "no (last page)" }.to_owned(),
        ]);
        ids.extend(page.items().iter().map(|a| a.id));
        if rows.len() == 2 {
            // What a long export persists after finishing a page.
            saved = page.next_cursor().cloned().map(|cursor| (cursor, ids.len()));
        }
    }
    table(&["page", "agents", "first on page", "last on page", "next link"], &rows);

    let expected_pages = AGENTS.div_ceil(PAGE_LIMIT as usize);
    println!(
        "   {} agents in {} pages of up to {PAGE_LIMIT}, fetched one at a time as the stream was read.",
        ids.len(),
        rows.len()
    );
    expect(ids.len() == AGENTS, || format!("streamed {} agents, the fake has {AGENTS}", ids.len()))?;
    expect(rows.len() == expected_pages, || format!("{} pages, expected {expected_pages}", rows.len()))?;
    let distinct: HashSet<_> = ids.iter().collect();
    expect(distinct.len() == ids.len(), || "an agent was streamed twice".to_owned())?;

    let (cursor, done) = saved.ok_or_else(|| Failure::Unexpected("page 2 had no next cursor".to_owned()))?;
    let json =
        serde_json::to_string(&cursor).map_err(|e| Failure::Unexpected(format!("cursor does not serialize: {e}")))?;
    println!("\n   Resume: the cursor after page 2 is plain JSON, safe to save (no credentials in it):");
    println!("     {json}");
    // The request's own parameters are ignored on resume: the cursor
    // encodes them (Dixa's pageKey carries the original query).
    let resumed: Vec<_> = client.list_agents().resume(cursor).items().map_ok(|a| a.id).try_collect().await?;
    println!(
        "   A fresh stream resumed from it yields the {} agents not yet seen (agents {}..={}).",
        resumed.len(),
        done + 1,
        ids.len()
    );
    expect(resumed == ids[done..], || {
        format!("resuming yielded {} agents, expected exactly the {} after page 2", resumed.len(), ids.len() - done)
    })
}

/// A patch of agent `id`; fields are set by the caller.
fn patch(id: String) -> types::builder::BulkPatchAgentInput {
    types::BulkPatchAgentInput::builder().id(id)
}

/// Step 2: one bulk call with five items and four different outcomes; the
/// outcomes come back typed and partitioned, each failure with its id, kind
/// and Dixa's message.
async fn bulk_patch(client: &DixaClient, fake: &FakeDixa) -> Step {
    let missing = fake.missing_id();
    let patches = [
        // Succeeds: a new display name.
        patch(fake.agent_id(0)).display_name(Some("Ada Lovelace (tour)".to_owned())),
        // Succeeds: a new first name.
        patch(fake.agent_id(1)).first_name(Some("Grace".to_owned())),
        // NotFound: no agent has this id.
        patch(missing.clone()).display_name(Some("Nobody".to_owned())),
        // Validation: not an E.164 phone number.
        patch(fake.agent_id(2)).phone_number(Some("12345".to_owned())),
        // EmptyPatchSet: nothing to change.
        patch(fake.agent_id(3)),
    ];
    let patches = patches
        .into_iter()
        .map(types::BulkPatchAgentInput::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Unexpected(format!("building a patch: {e}")))?;
    let sent = patches.len();
    let before = fake.stats().route("PATCH", "/v1/agents");

    let outcomes = client
        .patch_agents_bulk()
        .send_chunked(patches)
        .await
        .map_err(|stopped| Failure::Unexpected(format!("the bulk call failed as a whole: {stopped}")))?;

    println!(
        "   Sent {sent} patches in one PATCH /v1/agents: {} succeeded, {} failed.",
        outcomes.success_count(),
        outcomes.failure_count()
    );
    println!("\n   succeeded");
    let rows: Vec<_> = outcomes
        .successes()
        .iter()
        .map(|s| {
            vec![
                s.index.to_string(),
                short_id(&s.value.id.to_string()),
                s.value.display_name.clone(),
                s.value.first_name.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["item", "agent id", "display name", "first name"], &rows);
    println!("\n   failed");
    let rows: Vec<_> = outcomes
        .failures()
        .iter()
        .map(|f| {
            vec![
                f.index.to_string(),
                f.id.as_deref().map_or_else(|| "-".into(), short_id),
                f.kind.to_string(),
                f.message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["item", "agent id", "kind", "message"], &rows);

    // The "all succeeded, or here is what failed" view. Its Display goes on
    // to list each failure as in the table above; the summary is shown here.
    let (ok, failures) = (outcomes.successes().to_vec(), outcomes.failures().to_vec());
    if let Err(failed) = outcomes.into_result() {
        let text = failed.to_string();
        println!("\n   into_result() is Err: \"{} ...\"", text.split("; ").next().unwrap_or_default());
    }

    let after = fake.stats().route("PATCH", "/v1/agents");
    let kinds: Vec<_> = failures.iter().map(|f| (f.index, f.kind.as_str().to_owned(), f.id.clone())).collect();
    let expected_kinds = vec![
        (2, "NotFound".to_owned(), Some(missing)),
        (3, "Validation".to_owned(), Some(fake.agent_id(2))),
        (4, "EmptyPatchSet".to_owned(), Some(fake.agent_id(3))),
    ];
    expect(kinds == expected_kinds, || format!("failures were {kinds:?}, expected {expected_kinds:?}"))?;
    expect(
        ok.len() == 2
            && ok[0].value.display_name == "Ada Lovelace (tour)"
            && ok[1].value.first_name.as_deref() == Some("Grace"),
        || format!("expected items 0 and 1 to succeed with the patched names, got {} successes", ok.len()),
    )?;
    expect(failures.iter().all(|f| f.message.as_deref().is_some_and(|m| !m.is_empty())), || {
        "a failure came without Dixa's message".into()
    })?;
    // PATCH is not idempotent: it must reach the server exactly once.
    expect(after.received - before.received == 1 && after.side_effects - before.side_effects == 1, || {
        format!("the server received {} PATCH requests, expected exactly 1", after.received - before.received)
    })?;
    println!("   The server received the PATCH exactly once.");
    Ok(())
}

/// Step 3: the fake answers the next GET /v1/tags with 429 and
/// `Retry-After: 1`; the client waits that long, retries, and the caller
/// just sees the tags. The client's counters show what happened underneath.
async fn absorb_429(client: &DixaClient, fake: &FakeDixa) -> Step {
    fake.faults().too_many_requests(Method::GET, "/v1/tags", Some(RETRY_AFTER_SECS), 1);
    let before = client.stats();
    let received_before = fake.stats().received("GET", "/v1/tags");
    let started = Instant::now();

    let tags = client.tags_list_tags().send().await?;

    let took = started.elapsed();
    let after = client.stats();
    let attempts = after.attempts - before.attempts;
    let retries = after.retries - before.retries;
    let throttled = after.throttled - before.throttled;
    let waited = after.retry_wait.saturating_sub(before.retry_wait);
    let received = fake.stats().received("GET", "/v1/tags") - received_before;
    let names: Vec<_> = tags.iter().take(4).map(|t| t.name.as_str()).collect();

    kv("injected", &format!("the next GET /v1/tags answers 429 with Retry-After: {RETRY_AFTER_SECS}"));
    kv("the caller got", &format!("{} tags ({}, ...)", tags.len(), names.join(", ")));
    kv("attempts", &format!("{attempts} ({throttled} answered 429, then {retries} retry)"));
    kv(
        "client waited",
        &format!("{} before retrying, as Retry-After asked (the call took {})", secs(waited), secs(took)),
    );
    kv("server saw", &format!("{received} requests to GET /v1/tags"));

    expect(!tags.is_empty(), || "the tag list was empty".into())?;
    expect(attempts == 2 && retries == 1 && throttled == 1, || {
        format!("{attempts} attempts, {retries} retries, {throttled} 429s; expected 2, 1 and 1")
    })?;
    // The client's own accounting of its wait, not wall-clock time.
    expect(waited >= Duration::from_secs(RETRY_AFTER_SECS), || {
        format!("the client waited {}, less than Retry-After: {RETRY_AFTER_SECS}", secs(waited))
    })?;
    expect(received == 2, || format!("the server received {received} requests, expected 2"))
}

/// Step 4: the spec's `Conversation` union knows eleven `_type`s. The fake
/// serves one conversation as `InstagramConversation`, as Dixa would after
/// adding a channel; the list still decodes, and that one is kept whole as
/// `Unknown` instead of failing the page.
async fn unknown_conversation(client: &DixaClient, fake: &FakeDixa) -> Step {
    let requester: Uuid = fake
        .conversation_requester_id(UNKNOWN_CONVERSATION)
        .parse()
        .map_err(|e| Failure::Unexpected(format!("the fake's end user id: {e}")))?;
    let conversations: Vec<types::Conversation> =
        client.list_conversations().user_id(requester).page_limit(5).items().try_collect().await?;

    println!("   Conversations of end user {requester}:");
    let mut unknown = Vec::new();
    let rows: Vec<_> = conversations
        .iter()
        .map(|c| {
            // Every variant has `id` and `channel`, each in its own struct;
            // reading them from the JSON form treats known and unknown alike.
            let json = serde_json::to_value(c).unwrap_or_default();
            let decoded = match c {
                types::Conversation::Unknown(u) => {
                    unknown.push(u.clone());
                    format!("Unknown(\"{}\"), raw JSON kept", u.tag)
                }
                known => format!("{}(..)", known.tag()),
            };
            vec![plain(&json["id"]), plain(&json["channel"]), decoded]
        })
        .collect();
    table(&["id", "channel", "decoded as"], &rows);

    expect(conversations.len() >= 2, || format!("{} conversations, expected several", conversations.len()))?;
    let [u] = unknown.as_slice() else {
        return Err(Failure::Unexpected(format!("{} Unknown conversations, expected exactly 1", unknown.len())));
    };
    println!(
        "   The unknown one keeps every field Dixa sent, e.g. instagramHandle = {}",
        plain(&u.raw["instagramHandle"])
    );
    expect(u.tag == "InstagramConversation", || format!("the Unknown tag is {:?}", u.tag))?;
    expect(u.raw["id"] == fake.conversation_id(UNKNOWN_CONVERSATION), || {
        format!("the Unknown conversation has id {}", u.raw["id"])
    })
}

/// Step 5: errors say what happened and where, typed so code can match.
async fn typed_errors(client: &DixaClient, fake: &FakeDixa) -> Step {
    let missing = fake.missing_id();
    println!("   GET /v1/agents/{missing} (no such agent):");
    let err = match client
        .get_agent()
        .agent_id(missing.parse::<Uuid>().map_err(|e| Failure::Unexpected(e.to_string()))?)
        .send()
        .await
    {
        Ok(agent) => return Err(Failure::Unexpected(format!("found agent {}", agent.display_name))),
        Err(e) => e,
    };
    kv("  Display", &err.to_string());
    kv("  status()", &err.status().map_or_else(|| "none".into(), |s| s.to_string()));
    kv("  api_message()", err.api_message().unwrap_or("none"));
    match &err {
        Error::Api { status, message: Some(message), .. } if status.as_u16() == 404 => {
            expect(message.contains(&missing), || format!("Dixa's message does not name the agent: {message}"))?;
        }
        other => return Err(Failure::Unexpected(format!("expected Error::Api 404 with a message, got: {other}"))),
    }

    // Bad input is refused before anything goes on the wire.
    println!("\n   A contact endpoint id of \"..\" (it would climb out of /v1/contact-endpoints/):");
    let sent_before = fake.stats().total_received();
    let err = match client.get_contact_endpoint().contact_endpoint_id("..").send().await {
        Err(e) => e,
        Ok(_) => return Err(Failure::Unexpected("a contact endpoint id of \"..\" was accepted".into())),
    };
    kv("  Display", &err.to_string());
    expect(matches!(err, Error::InvalidInput { .. }), || format!("expected Error::InvalidInput, got: {err}"))?;
    expect(fake.stats().total_received() == sent_before, || "the invalid request reached the server".into())
}

// ---------------------------------------------------------------------------
// Read-only tour against a real account.
// ---------------------------------------------------------------------------

async fn real_account_tour() -> Result<(), String> {
    let started = Instant::now();
    // Reads DIXA_API_KEY, DIXA_BASE_URL and DIXA_AUTH_SCHEME; its errors
    // never quote the key.
    let client = Config::from_env()
        .and_then(DixaClient::new)
        .map_err(|e| format!("could not configure the client from the environment: {e}"))?;
    println!("dixa-rs tour: DIXA_API_KEY is set, so this makes READ-ONLY calls to {}", client.base_url());
    println!("(the key is never printed; nothing is written to the account)");

    step(1, "One page of agents, from a generated operation", real_agents(&client)).await?;
    step(2, &format!("The first {REAL_END_USERS} end users, streamed lazily"), real_end_users(&client)).await?;
    step(3, "Tags", real_tags(&client)).await?;

    let stats = client.stats();
    println!("\nDone in {}.", secs(started.elapsed()));
    kv(
        "client",
        &format!(
            "{} calls, {} HTTP attempts, {} retries, {} answers of 429",
            stats.calls, stats.attempts, stats.retries, stats.throttled
        ),
    );
    Ok(())
}

async fn real_agents(client: &DixaClient) -> Step {
    let page = client.list_agents().page_limit(10).send().await?;
    // Names and roles only: enough to recognise the account, and nothing a
    // screenshot of the quick start should not show (no emails or phones).
    let rows: Vec<_> = page
        .data
        .iter()
        .map(|a| {
            let roles: Vec<_> = a.roles.iter().flatten().map(ToString::to_string).collect();
            vec![a.display_name.clone(), roles.join(", "), a.created_at.to_string()]
        })
        .collect();
    table(&["display name", "roles", "created"], &rows);
    let more = page.meta.as_ref().and_then(|m| m.next.as_ref()).is_some();
    println!("   {} agents on this page; more pages: {}", page.data.len(), if more { "yes" } else { "no" });
    Ok(())
}

async fn real_end_users(client: &DixaClient) -> Step {
    let calls_before = client.stats().calls;
    let users: Vec<types::EndUser> =
        client.list_end_users().page_limit(10).items().take(REAL_END_USERS).try_collect().await?;
    let rows: Vec<_> = users
        .iter()
        .take(REAL_MAX_ROWS)
        .map(|u| vec![u.display_name.clone().unwrap_or_else(|| "(no name)".into()), u.created_at.to_string()])
        .collect();
    table(&["display name", "created"], &rows);
    if users.len() > REAL_MAX_ROWS {
        println!("   ... and {} more", users.len() - REAL_MAX_ROWS);
    }
    println!(
        "   {} end users in {} requests: pages of 10 are fetched only as the stream is read, and it stopped there.",
        users.len(),
        client.stats().calls - calls_before
    );
    Ok(())
}

async fn real_tags(client: &DixaClient) -> Step {
    let tags = client.tags_list_tags().send().await?;
    let rows: Vec<_> = tags
        .iter()
        .take(REAL_MAX_ROWS)
        .map(|t| vec![t.name.clone(), t.state.to_string(), t.color.clone().unwrap_or_default()])
        .collect();
    table(&["name", "state", "color"], &rows);
    if tags.len() > REAL_MAX_ROWS {
        println!("   ... and {} more", tags.len() - REAL_MAX_ROWS);
    }
    println!("   {} tags.", tags.len());
    Ok(())
}

// ---------------------------------------------------------------------------
// Output helpers.
// ---------------------------------------------------------------------------

/// Widest a table cell may be before it is cut with "…" (Dixa's messages
/// and names can be long; a table that wraps is unreadable).
const MAX_CELL: usize = 72;

/// The first block of a UUID, enough to tell rows apart in a table (Dixa's
/// messages quote the full id).
fn short_id(id: &str) -> String {
    match id.split_once('-') {
        Some((head, _)) => format!("{head}…"),
        None => id.to_owned(),
    }
}

/// Prints `rows` under `headers`, each column as wide as its widest cell.
/// Columns of numbers are right-aligned, text is left-aligned.
fn table(headers: &[&str], rows: &[Vec<String>]) {
    let cell = |s: &str| -> String {
        let s = s.replace(['\n', '\r', '\t'], " ");
        if s.chars().count() > MAX_CELL {
            format!("{}…", s.chars().take(MAX_CELL - 1).collect::<String>())
        } else {
            s
        }
    };
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()).collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).chain([h.len()]).max().unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|i| {
            !rows.is_empty()
                && rows.iter().all(|r| r.get(i).is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit())))
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i].saturating_sub(c.chars().count());
                if numeric[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        println!("   {}", parts.join("  ").trim_end());
    };
    if rows.is_empty() {
        println!("   (none)");
        return;
    }
    line(headers.to_vec());
    line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// A labelled line, labels aligned.
fn kv(label: &str, value: &str) {
    println!("   {label:<16} {value}");
}

/// A JSON scalar without the quotes `Value`'s Display puts around strings.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// A duration in seconds, e.g. `1.02 s`.
fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
