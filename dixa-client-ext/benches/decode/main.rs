//! Benchmark: decoding pages of conversations and messages.
//!
//! The bytes are the fake Dixa's shapes (`dixa_fake::sample_conversation`),
//! 1,000 pages of 100 conversations and 1,000 pages of 100 messages, each
//! once with `_type` first in every object (as the fake and Dixa's samples
//! send it) and once with `_type` last (as Dixa's Redoc samples show bulk
//! outcomes). Four decoders on the same bytes:
//!
//! - **client**: the generated types through the client's decode path
//!   (`dixa_client_ext::error::decode_json`, what every call uses);
//! - **plain**: the generated types through `serde_json::from_slice`;
//! - **serde-tagged**: the same types with every `_type` union replaced by
//!   serde's `#[serde(tag = "_type")]` enum (`tagged_mirror.rs`, generated
//!   from the generated client by `cargo xtask generate`);
//! - **value**: `serde_json::Value`.
//!
//! Decoders are interleaved in runs of 10 pages (the four decode the same
//! pages back to back, in a rotating order), for every run of every
//! repetition: the machine is shared, and a load spike then hits all four
//! alike. The tables show the median MB/s over all runs and repetitions, and
//! the median of the per-run paired speed ratios against serde-tagged (what
//! the targets judge).
//! Allocations per item are counted with a counting global allocator over
//! one pass of each decoder. Targets: client / serde-tagged >= 1.3 in all
//! four columns, client allocations per conversation <= 8 in both orders.
//!
//! Run: `cargo bench -p dixa-client-ext --bench decode [-- --pages 1000 --reps 11]`.

#[path = "../common/mod.rs"]
mod common;
// Generated (prettyplease output, reproduced by `cargo xtask check`).
#[rustfmt::skip]
mod tagged_mirror;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{BenchResult, Target};
use dixa_client::types;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Counts allocation calls (not bytes): what the target bounds.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PER_PAGE: usize = 100;
/// Pages a decoder decodes in a row before the next decoder takes the same pages.
const CHUNK: usize = 10;

/// One column of the table: a set of pages of one kind in one `_type` order.
struct DataSet {
    name: &'static str,
    kind: Kind,
    pages: Vec<Bytes>,
    items: usize,
    bytes: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Conversations,
    Messages,
}

#[derive(Clone, Copy, PartialEq)]
enum Decoder {
    Plain,
    Client,
    SerdeTagged,
    Value,
}

const DECODERS: [Decoder; 4] = [Decoder::Plain, Decoder::Client, Decoder::SerdeTagged, Decoder::Value];

impl Decoder {
    /// The name `--only` takes.
    fn key(self) -> &'static str {
        match self {
            Decoder::Plain => "plain",
            Decoder::Client => "client",
            Decoder::SerdeTagged => "serde-tagged",
            Decoder::Value => "value",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Decoder::Plain => "generated types, plain serde_json",
            Decoder::Client => "generated types, client decode path (decode_json)",
            Decoder::SerdeTagged => "same types, serde #[serde(tag = \"_type\")]",
            Decoder::Value => "serde_json::Value",
        }
    }
}

fn main() -> BenchResult {
    let args = common::args();
    let smoke = common::is_smoke();
    let pages = common::num_option(&args, "pages", "DIXA_BENCH_PAGES", if smoke { 3 } else { 1000 })?.max(1) as usize;
    let reps = common::num_option(&args, "reps", "DIXA_BENCH_REPS", if smoke { 1 } else { 11 })?.max(1) as usize;
    common::print_header(
        "decode",
        &format!("{pages} pages of {PER_PAGE} conversations / messages (the fake's shapes), {reps} interleaved reps"),
    );

    let index = |d: Decoder| DECODERS.iter().position(|x| *x == d).expect("listed");
    let clock = Clock::new();
    println!("   (clock: {})", clock.describe());
    let sets = data_sets(pages);
    for set in &sets {
        check_all_decode(set)?;
    }
    if let Some(only) = common::str_option(&args, "only") {
        return only_one(&args, &sets, &only, reps, &clock);
    }

    // Interleaved in runs of CHUNK pages: every decoder decodes the same
    // pages back to back (in a rotating order), so a load spike on this
    // shared machine hits all four alike, and each decoder runs with its own
    // code warm (decoding one page right after another decoder warmed the
    // same generated code would favour it). rates[set][decoder] holds the
    // MB/s of every chunk of every repetition; paired[set][decoder] the ratio
    // of the chunk's time with serde-tagged to its time with this decoder.
    let mut rates = vec![vec![Vec::new(); DECODERS.len()]; sets.len()];
    let mut paired = vec![vec![Vec::new(); DECODERS.len()]; sets.len()];
    for rep in 0..reps {
        for (s, set) in sets.iter().enumerate() {
            for (c, chunk) in set.pages.chunks(CHUNK).enumerate() {
                let bytes: usize = chunk.iter().map(Bytes::len).sum();
                let mut secs = [0f64; DECODERS.len()];
                for k in 0..DECODERS.len() {
                    let d = (k + rep + c) % DECODERS.len();
                    let started = clock.now();
                    for page in chunk {
                        decode_page(set.kind, DECODERS[d], page)?;
                    }
                    secs[d] = (clock.now() - started).as_secs_f64().max(1e-9);
                }
                let serde = secs[index(Decoder::SerdeTagged)];
                for d in 0..DECODERS.len() {
                    rates[s][d].push(bytes as f64 / 1e6 / secs[d]);
                    paired[s][d].push(serde / secs[d]);
                }
            }
        }
    }

    println!();
    println!(
        "| MB/s (median over {reps} reps x {} chunks of {CHUNK} pages) | {} |",
        pages.div_ceil(CHUNK),
        sets.iter().map(|s| format!("{} ({:.1} MB)", s.name, s.bytes as f64 / 1e6)).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|{}", "---|".repeat(sets.len()));
    let medians: Vec<Vec<f64>> = rates.iter().map(|per| per.iter().map(|r| common::median(r)).collect()).collect();
    for (d, decoder) in DECODERS.iter().enumerate() {
        let cells: Vec<String> = medians.iter().map(|m| format!("{:.0}", m[d])).collect();
        println!("| {} | {} |", decoder.label(), cells.join(" | "));
    }
    println!();
    println!(
        "| speed vs serde-tagged (median of per-chunk paired ratios) | {} |",
        sets.iter().map(|s| s.name).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|{}", "---|".repeat(sets.len()));
    let ratios: Vec<Vec<f64>> = paired.iter().map(|per| per.iter().map(|r| common::median(r)).collect()).collect();
    for (d, decoder) in DECODERS.iter().enumerate() {
        let cells: Vec<String> = ratios.iter().map(|m| format!("{:.2}x", m[d])).collect();
        println!("| {} | {} |", decoder.label(), cells.join(" | "));
    }

    println!();
    println!("| allocations per item | {} |", sets.iter().map(|s| s.name).collect::<Vec<_>>().join(" | "));
    println!("|---|{}", "---|".repeat(sets.len()));
    let mut client_allocs = Vec::new();
    for decoder in DECODERS {
        let mut cells = Vec::new();
        for set in &sets {
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            decode_all(set, decoder)?;
            let per_item = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / set.items as f64;
            if decoder == Decoder::Client {
                client_allocs.push(per_item);
            }
            cells.push(format!("{per_item:.1}"));
        }
        println!("| {} | {} |", decoder.label(), cells.join(" | "));
    }

    println!();
    for (s, set) in sets.iter().enumerate() {
        let m = &medians[s];
        println!(
            "{:<26} medians of MB/s: client/serde-tagged {:.2}x  client/plain {:.2}x  plain/serde-tagged {:.2}x  client/value {:.2}x",
            set.name,
            m[index(Decoder::Client)] / m[index(Decoder::SerdeTagged)],
            m[index(Decoder::Client)] / m[index(Decoder::Plain)],
            m[index(Decoder::Plain)] / m[index(Decoder::SerdeTagged)],
            m[index(Decoder::Client)] / m[index(Decoder::Value)],
        );
    }
    println!();
    for (s, set) in sets.iter().enumerate() {
        common::verdict(
            "decode",
            &format!("{}: client / serde-tagged speed (paired per chunk)", set.name),
            ratios[s][index(Decoder::Client)],
            Target::AtLeast(1.3),
        );
    }
    for (set, allocs) in sets.iter().zip(&client_allocs) {
        if set.kind == Kind::Conversations {
            common::verdict(
                "decode",
                &format!("{}: client allocations per conversation", set.name),
                *allocs,
                Target::AtMost(8.0),
            );
        }
    }
    Ok(())
}

/// `--only DECODER [--set N]`: that decoder alone (on data set N, 0-3, or on
/// all four), `reps` passes, for a profiler; prints MB/s, judges nothing.
fn only_one(args: &[String], sets: &[DataSet], only: &str, reps: usize, clock: &Clock) -> BenchResult {
    let decoder = DECODERS
        .into_iter()
        .find(|d| d.key() == only)
        .ok_or_else(|| format!("--only {only}: expected one of plain, client, serde-tagged, value"))?;
    let chosen: Vec<&DataSet> = match common::str_option(args, "set") {
        Some(n) => vec![sets.get(n.parse::<usize>().unwrap_or(usize::MAX)).ok_or("--set: expected 0-3")?],
        None => sets.iter().collect(),
    };
    for set in chosen {
        let started = clock.now();
        for _ in 0..reps {
            decode_all(set, decoder)?;
        }
        let secs = (clock.now() - started).as_secs_f64().max(1e-9);
        println!("{:<26} {}: {:.0} MB/s", set.name, decoder.key(), (set.bytes * reps) as f64 / 1e6 / secs);
    }
    Ok(())
}

/// What the decode times are read from: this thread's CPU time where the
/// platform has it (a decode is pure CPU work, and on a machine shared with
/// other builds the wall time mostly measures their load), else wall time.
struct Clock {
    started: Instant,
    cpu: bool,
}

impl Clock {
    fn new() -> Clock {
        Clock { started: Instant::now(), cpu: thread_cpu_time().is_some() }
    }

    fn now(&self) -> Duration {
        match self.cpu {
            true => thread_cpu_time().unwrap_or_default(),
            false => self.started.elapsed(),
        }
    }

    fn describe(&self) -> &'static str {
        match self.cpu {
            true => "this thread's CPU time",
            false => "wall time (no thread CPU clock on this platform)",
        }
    }
}

#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// The four data sets: conversations and messages, `_type` first and last.
fn data_sets(pages: usize) -> Vec<DataSet> {
    let wanted = pages * PER_PAGE;
    let mut conversations = Vec::with_capacity(wanted);
    let mut messages = Vec::with_capacity(wanted);
    let mut i = 0u64;
    while conversations.len() < wanted || messages.len() < wanted {
        let (conversation, msgs) = dixa_fake::sample_conversation(i, wanted);
        if conversations.len() < wanted {
            conversations.push(conversation);
        }
        messages.extend(msgs.into_iter().take(wanted - messages.len()));
        i += 1;
    }
    let conversation_pages: Vec<Value> = conversations
        .chunks(PER_PAGE)
        .enumerate()
        .map(|(p, data)| {
            json!({
                "data": data,
                "meta": { "next": format!("/v1/endusers/00000000-0000-4000-8000-000000000001/conversations?pageKey=cGFnZS17cH0{p}") },
            })
        })
        .collect();
    let message_pages: Vec<Value> = messages.chunks(PER_PAGE).map(|data| json!({ "data": data })).collect();
    vec![
        DataSet::new("conversations, _type first", Kind::Conversations, &conversation_pages, false),
        DataSet::new("conversations, _type last", Kind::Conversations, &conversation_pages, true),
        DataSet::new("messages, _type first", Kind::Messages, &message_pages, false),
        DataSet::new("messages, _type last", Kind::Messages, &message_pages, true),
    ]
}

impl DataSet {
    fn new(name: &'static str, kind: Kind, pages: &[Value], type_last: bool) -> DataSet {
        let pages: Vec<Bytes> = pages
            .iter()
            .map(|page| {
                let mut page = page.clone();
                if type_last {
                    move_type_last(&mut page);
                }
                Bytes::from(serde_json::to_vec(&page).expect("a Value serializes"))
            })
            .collect();
        let bytes = pages.iter().map(Bytes::len).sum();
        DataSet { name, kind, items: pages.len() * PER_PAGE, pages, bytes }
    }
}

/// Moves `_type` to the end of every object (the map keeps insertion order).
fn move_type_last(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(tag) = map.shift_remove("_type") {
                map.insert("_type".into(), tag);
            }
            map.values_mut().for_each(move_type_last);
        }
        Value::Array(items) => items.iter_mut().for_each(move_type_last),
        _ => {}
    }
}

/// Decodes every page of `set` with `decoder`, page by page.
fn decode_all(set: &DataSet, decoder: Decoder) -> BenchResult<usize> {
    let mut items = 0;
    for page in &set.pages {
        items += decode_page(set.kind, decoder, page)?;
    }
    Ok(items)
}

/// Decodes one page with `decoder`; returns how many items it held.
fn decode_page(kind: Kind, decoder: Decoder, page: &Bytes) -> BenchResult<usize> {
    match (kind, decoder) {
        (Kind::Conversations, Decoder::Plain) => plain::<types::ListEndUserConversationsOutput>(page),
        (Kind::Conversations, Decoder::Client) => client::<types::ListEndUserConversationsOutput>(page),
        (Kind::Conversations, Decoder::SerdeTagged) => plain::<tagged_mirror::ListEndUserConversationsOutput>(page),
        (Kind::Messages, Decoder::Plain) => plain::<types::ListMessagesOutput>(page),
        (Kind::Messages, Decoder::Client) => client::<types::ListMessagesOutput>(page),
        (Kind::Messages, Decoder::SerdeTagged) => plain::<tagged_mirror::ListMessagesOutput>(page),
        (_, Decoder::Value) => value(page),
    }
}

// One function per decoder, never inlined into the dispatch above: each is
// compiled on its own, as in an application, and none gains or loses from
// how the optimizer treats one big function.

#[inline(never)]
fn plain<T: DeserializeOwned + Items>(page: &Bytes) -> BenchResult<usize> {
    Ok(black_box(serde_json::from_slice::<T>(page)?).items())
}

#[inline(never)]
fn client<T: DeserializeOwned + Items>(page: &Bytes) -> BenchResult<usize> {
    Ok(black_box(dixa_client_ext::error::decode_json::<T>(StatusCode::OK, page.clone())?).items())
}

#[inline(never)]
fn value(page: &Bytes) -> BenchResult<usize> {
    Ok(black_box(serde_json::from_slice::<Value>(page)?)["data"].as_array().map_or(0, Vec::len))
}

/// How many items a decoded page holds.
trait Items {
    fn items(&self) -> usize;
}

macro_rules! items {
    ($($page:ty),*) => {
        $(impl Items for $page {
            fn items(&self) -> usize {
                self.data.len()
            }
        })*
    };
}

items!(
    types::ListEndUserConversationsOutput,
    types::ListMessagesOutput,
    tagged_mirror::ListEndUserConversationsOutput,
    tagged_mirror::ListMessagesOutput
);

/// Every decoder reads every item of `set`, and none of them meets an
/// unknown variant (the comparison would be unfair otherwise).
fn check_all_decode(set: &DataSet) -> BenchResult {
    for decoder in DECODERS {
        let items = decode_all(set, decoder)?;
        if items != set.items {
            return Err(format!("{}: {} decoded {items} of {} items", set.name, decoder.label(), set.items).into());
        }
    }
    for page in &set.pages {
        let unknown = match set.kind {
            Kind::Conversations => serde_json::from_slice::<types::ListEndUserConversationsOutput>(page)?
                .data
                .iter()
                .any(|c| matches!(c, types::Conversation::Unknown(_))),
            Kind::Messages => serde_json::from_slice::<types::ListMessagesOutput>(page)?
                .data
                .iter()
                .any(|m| matches!(m.attributes, types::Attributes::Unknown(_))),
        };
        if unknown {
            return Err(format!("{}: the fake's shapes hold a variant this client does not know", set.name).into());
        }
    }
    Ok(())
}
