//! Generation: drive progenitor over the normalized spec and emit one
//! prettyplease-formatted `dixa-client/src/generated.rs`.
//!
//! progenitor/typify generate the client, the builders and the plain structs.
//! The types they cannot get right (see [`crate::normalize`]) are emitted here
//! with `quote!` into the same `types` module and wired in with typify
//! replacements, so typify's structs refer to them:
//! - `_type` unions: an enum of named payload structs (typify's) whose serde
//!   impls write `_type` and dispatch on it when reading (never by shape),
//! - open enums: string enums with an `Unknown(String)` variant,
//! - `#[deprecated]` on deprecated fields (typify has no support for it),
//! - the `OPERATIONS` table the hand-written layer uses for tracing and
//!   pagination checks.

use std::panic::{catch_unwind, AssertUnwindSafe};

use proc_macro2::{Span, TokenStream};
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::normalize::{self, snake, DeprecatedField, Normalized, OpenEnum, Operation, Union};

/// progenitor-impl version this generator is written for (a test checks Cargo.lock).
pub const PROGENITOR_VERSION: &str = "0.15.1";
/// typify version this generator is written for (a test checks Cargo.lock).
pub const TYPIFY_VERSION: &str = "0.8.0";
/// prettyplease version this generator is written for (a test checks Cargo.lock).
pub const PRETTYPLEASE_VERSION: &str = "0.3.0";
/// The command that regenerates every generated artifact.
pub const REGENERATE_COMMAND: &str = "cargo xtask generate";

/// Everything one generation run produces, as file contents.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The normalized spec (`spec/dixa-v1.normalized.json`), pretty JSON + newline.
    pub normalized_spec: String,
    /// The wire document (`spec/dixa-v1.wire.json`), see [`crate::wire`].
    pub wire_spec: String,
    /// `dixa-client/src/generated.rs`.
    pub client: String,
    /// `dixa-client/OPERATIONS.md`, the operation table of the crate docs.
    pub operations_md: String,
    /// The normalization report (printed by xtask, snapshotted by tests).
    pub report: normalize::Report,
    /// The normalization result, for callers that want counts.
    pub normalized: Normalized,
    /// Per operation (same order): its builder and, for bulk ones, the limit.
    pub calls: Vec<crate::calls::Call>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The raw spec is not JSON.
    #[error("{file} is not valid JSON: {source}")]
    Json {
        /// The spec file name.
        file: String,
        /// The parse error (line and column).
        source: serde_json::Error,
    },
    /// A normalization pass rejected the spec.
    #[error(transparent)]
    Normalize(#[from] normalize::NormalizeError),
    /// The wire document could not be derived from the normalized spec.
    #[error(transparent)]
    Wire(#[from] crate::wire::WireError),
    /// The normalized spec is not an OpenAPI 3.0 document openapiv3 can read.
    #[error("the normalized spec is not a readable OpenAPI document: {0}")]
    OpenApi(serde_json::Error),
    /// progenitor returned an error.
    #[error("progenitor failed{}: {message}", operation.as_deref().map(|o| format!(" on operation {o}")).unwrap_or_default())]
    Progenitor {
        /// The operation that reproduces the failure alone, when one does.
        operation: Option<String>,
        /// progenitor's message.
        message: String,
    },
    /// progenitor panicked (caught); `operation` names the culprit when
    /// generating that operation alone reproduces the panic.
    #[error("progenitor panicked{}: {message}", operation.as_deref().map(|o| format!(" on operation {o}")).unwrap_or_else(|| " (no single operation reproduces it: it is in the type definitions)".to_string()))]
    Panic {
        /// `METHOD /path (operationId)` of the culprit, when found.
        operation: Option<String>,
        /// The panic message.
        message: String,
    },
    /// The generated tokens are not valid Rust (a generator bug).
    #[error("the generated code does not parse: {0}")]
    Syntax(String),
}

/// Normalizes `raw_spec` (the bytes of the file `spec_file`) and generates
/// every artifact. Pure: reads and writes no files.
pub fn generate(raw_spec: &[u8], spec_file: &str) -> Result<Generated, GenerateError> {
    generate_parsed(raw_spec, spec_file).map(|(generated, _)| generated)
}

/// [`generate`], also handing back the syntax tree that `client` is the
/// printing of, so that what reads the client's items (the changelog's
/// [`crate::changelog::Surface`], the decode mirror) need not parse 40,000
/// lines of text again. The tree and the text have the same items; only doc
/// comments differ (the text shows progenitor's ```ignore examples as text).
pub fn generate_parsed(raw_spec: &[u8], spec_file: &str) -> Result<(Generated, syn::File), GenerateError> {
    use crate::timing::step;
    let raw: Value = step("generate: parse raw JSON", || serde_json::from_slice(raw_spec))
        .map_err(|source| GenerateError::Json { file: spec_file.to_string(), source })?;
    let normalized = step("generate: normalize", || normalize::normalize(&raw))?;
    let mut normalized_spec = step("generate: normalized JSON text", || serde_json::to_string_pretty(&normalized.spec))
        .map_err(GenerateError::OpenApi)?;
    normalized_spec.push('\n');
    let wire_spec = step("generate: wire spec", || crate::wire::wire_spec_text(&normalized))?;

    let tokens = step("generate: progenitor", || run_progenitor(&normalized))?;
    // Only progenitor's `types` module is kept: its client and builders are
    // replaced by the call builders of `crate::calls` (see there why), so
    // they are not even parsed.
    let mut file: syn::File = step("generate: parse progenitor types", || syn::parse2(types_module(tokens)))
        .map_err(|e| GenerateError::Syntax(e.to_string()))?;
    step("generate: patch types", || patch_types_module(&mut file, &normalized))?;
    file.items.retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    let calls = crate::calls::calls(&normalized);
    let types_items = match file.items.first() {
        Some(syn::Item::Mod(m)) => m.content.as_ref().map(|(_, items)| items.clone()).unwrap_or_default(),
        _ => Vec::new(),
    };
    let emitted = step("generate: emit calls", || crate::calls::emit(&normalized, &calls, &types_items))?;
    file.items.extend(step("generate: parse calls", || parse_items(emitted, "the call builders"))?);
    let operations = operations_table(&normalized.operations, &calls);
    file.items.push(syn::parse2(operations).map_err(|e| GenerateError::Syntax(e.to_string()))?);
    let multipart = &normalized.multipart_operations;
    file.items.push(syn::parse_quote! {
        /// Operations whose body is `multipart/form-data`, sent as a raw body
        /// (see `dixa_client::multipart`).
        pub const MULTIPART_OPERATIONS: &[&str] = &[#(#multipart),*];
    });

    let header = header(raw_spec, spec_file);
    // progenitor's usage examples are ```ignore doc tests; they are not
    // compilable as written, and a test suite full of ignored tests hides
    // real ones, so they are shown as text instead.
    let client = step("generate: prettyplease", || {
        format!("{header}{}", prettyplease::unparse(&file).replace("```ignore", "```text"))
    });
    let operations_md = operations_markdown(&normalized.operations, &calls, spec_file);
    let generated = Generated {
        normalized_spec,
        wire_spec,
        client,
        operations_md,
        report: normalized.report.clone(),
        normalized,
        calls,
    };
    Ok((generated, file))
}

/// The `pub mod types { ... }` item of progenitor's output, with the outer
/// attributes before it; the whole output when it has no such item (then
/// [`patch_types_module`] names the problem).
fn types_module(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Delimiter, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let word = |t: &TokenTree, w: &str| matches!(t, TokenTree::Ident(i) if i == w);
    let Some(at) = trees.windows(4).position(|w| {
        word(&w[0], "pub")
            && word(&w[1], "mod")
            && word(&w[2], "types")
            && matches!(&w[3], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace)
    }) else {
        return trees.into_iter().collect();
    };
    // Outer attributes (doc comments included) are `#` and a `[...]` group.
    let mut start = at;
    while start >= 2
        && matches!(&trees[start - 2], TokenTree::Punct(p) if p.as_char() == '#')
        && matches!(&trees[start - 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket)
    {
        start -= 2;
    }
    trees[start..at + 4].iter().cloned().collect()
}

/// The header of `generated.rs` for the raw spec `raw_spec` read from `spec_file`.
pub fn header(raw_spec: &[u8], spec_file: &str) -> String {
    let sha = Sha256::digest(raw_spec);
    let sha_hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "// @generated: DO NOT EDIT. Generated by `{REGENERATE_COMMAND}` from\n\
         // {spec_file} (SHA-256 {sha_hex})\n\
         // with progenitor-impl {PROGENITOR_VERSION}, typify {TYPIFY_VERSION}, prettyplease {PRETTYPLEASE_VERSION}.\n\
         // Regenerate with `{REGENERATE_COMMAND}`; `cargo xtask check` fails when this file is stale.\n\n"
    )
}

/// The progenitor settings; see `dixa-client/src/lib.rs` for why each is chosen.
fn settings(normalized: &Normalized) -> GenerationSettings {
    let mut s = GenerationSettings::new();
    // Only the types of progenitor's output are used; the interface settings
    // merely keep its (discarded) client code simple.
    s.with_interface(InterfaceStyle::Builder).with_tag(TagStyle::Merged);
    let open: Vec<&str> = normalized.custom.open_enums.iter().map(|e| e.name.as_str()).collect();
    for (schema, path) in &normalized.custom.replacements {
        // Open enums and timestamps parse from and print to strings (usable
        // in query parameters); unions and wrappers are JSON-only.
        let impls: Vec<TypeImpl> = if open.contains(&schema.as_str()) || path == "crate::Timestamp" {
            vec![TypeImpl::FromStr, TypeImpl::Display]
        } else {
            Vec::new()
        };
        s.with_replacement(schema, path, impls.into_iter());
    }
    s
}

/// Runs progenitor with its panics caught; on a panic, finds the operation
/// that reproduces it alone.
fn run_progenitor(normalized: &Normalized) -> Result<TokenStream, GenerateError> {
    let settings = settings(normalized);
    match attempt(&settings, &normalized.spec) {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(message)) => Err(GenerateError::Progenitor { operation: culprit(&settings, normalized), message }),
        Err(message) => Err(GenerateError::Panic { operation: culprit(&settings, normalized), message }),
    }
}

/// One progenitor run. Outer `Err`: it panicked; inner `Err`: it returned an error.
fn attempt(settings: &GenerationSettings, spec: &Value) -> Result<Result<TokenStream, String>, String> {
    let api: openapiv3::OpenAPI =
        match crate::timing::step("progenitor: openapiv3 from JSON", || serde_json::from_value(spec.clone())) {
            Ok(api) => api,
            Err(e) => return Ok(Err(format!("openapiv3 cannot read the spec: {e}"))),
        };
    // Silence panic reports while progenitor runs on this thread: the panic
    // is reported as a typed error instead of a backtrace on stderr. The
    // hook is process-wide, so it is wrapped once with a per-thread switch:
    // runs on other threads (an update generates two specs side by side,
    // tests run in parallel) neither wait for each other nor lose their own
    // panic reports.
    thread_local!(static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info)
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = crate::timing::step("progenitor: generate_tokens", || {
        catch_unwind(AssertUnwindSafe(|| Generator::new(settings).generate_tokens(&api)))
    });
    QUIET.with(|q| q.set(false));
    match result {
        Ok(r) => Ok(r.map_err(|e| e.to_string())),
        Err(payload) => Err(payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string())),
    }
}

/// The first operation that fails when generated alone, as `METHOD /path (id)`.
///
/// `None` when the document fails without any operation too (the fault is in
/// the component schemas, which are generated whatever the operations are):
/// then every operation fails alone, and naming the first would mislead.
fn culprit(settings: &GenerationSettings, normalized: &Normalized) -> Option<String> {
    let mut bare = normalized.spec.clone();
    bare["paths"] = Value::Object(serde_json::Map::new());
    if !matches!(attempt(settings, &bare), Ok(Ok(_))) {
        return None;
    }
    normalized.operations.iter().find_map(|op| {
        let mut alone = normalized.spec.clone();
        let item = alone["paths"][&op.path].clone();
        let mut only = serde_json::Map::new();
        let method = op.method.to_lowercase();
        let mut single = serde_json::Map::new();
        if let Some(params) = item.get("parameters") {
            single.insert("parameters".into(), params.clone());
        }
        single.insert(method.clone(), item[&method].clone());
        only.insert(op.path.clone(), Value::Object(single));
        alone["paths"] = Value::Object(only);
        match attempt(settings, &alone) {
            Ok(Ok(_)) => None,
            _ => Some(format!("{} {} ({})", op.method, op.path, op.spec_operation_id)),
        }
    })
}

/// Adds the custom types and deprecation attributes to `pub mod types`.
fn patch_types_module(file: &mut syn::File, normalized: &Normalized) -> Result<(), GenerateError> {
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => Some(m),
            _ => None,
        })
        .ok_or_else(|| GenerateError::Syntax("progenitor emitted no `types` module".into()))?;
    let content =
        &mut types.content.as_mut().ok_or_else(|| GenerateError::Syntax("the `types` module has no body".into()))?.1;
    // Deprecated fields are still read and written by the serde impls and
    // builders typify emits next to them; only users should be warned.
    types.attrs.push(syn::parse_quote!(#[allow(deprecated)]));
    for field in &normalized.deprecated_fields {
        mark_deprecated(content, field)?;
    }
    prune_struct_builders(content, &normalized.request_types);
    untagged_by_kind(content)?;
    serialize_only_requests(content, &normalized.request_types, &normalized.response_types);
    share_builder_conversions(content);
    for u in &normalized.custom.unions {
        let accessors = union_accessors(u, content);
        content.extend(parse_items(union_tokens(u), &u.schema)?);
        content.extend(parse_items(accessors, &u.schema)?);
    }
    for e in &normalized.custom.open_enums {
        content.extend(parse_items(open_enum_tokens(e)?, &e.name)?);
    }
    Ok(())
}

/// Removes typify's struct builders (`types::builder::X`, `X::builder()`)
/// for types no request contains.
///
/// typify emits a builder for every struct, about half of the generated
/// lines; callers only construct request types (progenitor's `body_map`
/// needs the builders of request bodies), so the builders of response-only
/// types cost build time and buy nothing. They can still be built with
/// struct literals.
fn prune_struct_builders(items: &mut Vec<syn::Item>, keep: &std::collections::BTreeSet<String>) {
    let kept = |ty: &syn::Type| match ty {
        syn::Type::Path(p) => p.path.segments.last().is_none_or(|s| keep.contains(&s.ident.to_string())),
        _ => true,
    };
    for item in items.iter_mut() {
        match item {
            // `impl X { pub fn builder() -> builder::X }`
            syn::Item::Impl(imp) if imp.trait_.is_none() && !kept(&imp.self_ty) => {
                imp.items.retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                if let Some((_, inner)) = m.content.as_mut() {
                    inner.retain(|i| match i {
                        syn::Item::Struct(s) => keep.contains(&s.ident.to_string()),
                        syn::Item::Impl(imp) => kept(&imp.self_ty),
                        _ => true,
                    });
                }
            }
            _ => {}
        }
    }
    items.retain(|i| !matches!(i, syn::Item::Impl(imp) if imp.trait_.is_none() && imp.items.is_empty()));
}

/// Derives `Deserialize` on the types only requests contain only with the
/// `deserialize-requests` feature.
///
/// typify derives both serde traits on every type. A request-only type is
/// built and written by the client, never read from Dixa (the fake reads
/// requests as JSON), and a derived `Deserialize` is the largest impl of a
/// struct to type-check: the 119 of the 123-operation spec were about a
/// quarter of `dixa-client`'s build. The conformance tests decode the
/// spec's request examples, and a caller may read requests from a file, so
/// the impls stay one feature away. Types a response can contain keep both
/// traits unconditionally (callers read them, and write them again to
/// export them).
fn serialize_only_requests(
    items: &mut [syn::Item],
    request: &std::collections::BTreeSet<String>,
    response: &std::collections::BTreeSet<String>,
) {
    let request_only = |name: &syn::Ident| {
        let name = name.to_string();
        request.contains(&name) && !response.contains(&name)
    };
    for item in items.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(s) if request_only(&s.ident) => &mut s.attrs,
            syn::Item::Enum(e) if request_only(&e.ident) => &mut e.attrs,
            // The `Deserialize` impls `untagged_by_kind` writes.
            syn::Item::Impl(imp) => {
                let deserialize = imp
                    .trait_
                    .as_ref()
                    .is_some_and(|(path, _)| path.segments.last().is_some_and(|s| s.ident == "Deserialize"));
                let of_request_only = matches!(&*imp.self_ty, syn::Type::Path(p)
                    if p.path.segments.last().is_some_and(|s| request_only(&s.ident)));
                if deserialize && of_request_only {
                    imp.attrs.push(syn::parse_quote!(#[cfg(feature = "deserialize-requests")]));
                }
                continue;
            }
            _ => continue,
        };
        let mut gated = false;
        for attr in attrs.iter_mut() {
            if !attr.path().is_ident("derive") {
                continue;
            }
            let Ok(paths) =
                attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            else {
                continue;
            };
            let kept: Vec<&syn::Path> =
                paths.iter().filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize")).collect();
            if kept.len() != paths.len() {
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
                gated = true;
            }
        }
        if gated {
            attrs.push(syn::parse_quote!(
                #[cfg_attr(feature = "deserialize-requests", derive(::serde::Deserialize))]
            ));
        }
    }
}

/// Makes the setters of typify's struct builders call one generic helper.
///
/// typify writes every setter as
/// `self.f = value.try_into().map_err(|e| format!("error converting supplied value for f: {e}"))`:
/// a closure and a `format!` per field, which the compiler checks one by
/// one. The same conversion, with the same message, is
/// `crate::runtime::convert(value, "f")`, one generic function. A setter of
/// another shape is left as typify wrote it.
fn share_builder_conversions(items: &mut [syn::Item]) {
    let Some(builder) = items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, inner)| inner),
        _ => None,
    }) else {
        return;
    };
    for item in builder.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        for f in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = f else { continue };
            let Some(syn::Stmt::Expr(syn::Expr::Assign(assign), _)) = f.block.stmts.first_mut() else { continue };
            let syn::Expr::Field(target) = &*assign.left else { continue };
            let syn::Member::Named(field) = &target.member else { continue };
            let syn::Expr::MethodCall(map_err) = &*assign.right else { continue };
            let typify_shape = map_err.method == "map_err"
                && matches!(&*map_err.receiver, syn::Expr::MethodCall(c) if c.method == "try_into"
                    && matches!(&*c.receiver, syn::Expr::Path(p) if p.path.is_ident("value")));
            if !typify_shape {
                continue;
            }
            let name = field.to_string();
            *assign.right = syn::parse_quote!(crate::runtime::convert(value, #name));
        }
    }
}

/// The JSON kind one variant of an untagged enum accepts, when its type
/// accepts exactly one: a string, an array, a boolean.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    Str,
    Seq,
    Bool,
}

fn json_kind(ty: &syn::Type) -> Option<JsonKind> {
    let text = quote!(#ty).to_string().replace(' ', "");
    match text.as_str() {
        "::std::string::String" | "String" => Some(JsonKind::Str),
        "bool" => Some(JsonKind::Bool),
        _ if crate::calls::inner_of(ty, "Vec").is_some() => Some(JsonKind::Seq),
        _ => None,
    }
}

/// Decodes typify's `#[serde(untagged)]` enums by the kind of JSON value
/// when their variants take different kinds (e.g. `CustomAttributeValue`:
/// an array of strings or a string).
///
/// serde's untagged derive buffers the value into its `Content` tree, then
/// tries each variant in turn: a custom attribute whose value is a string
/// first fails as `Vec<String>`, and that failure builds and drops a
/// `serde_json::Error` (two allocations and a formatted message) for every
/// custom attribute of every conversation. Looking at the kind picks the
/// variant at once and decodes it straight from the input. The rule: every
/// variant is a newtype of `String`, `Vec<_>` or `bool`, no two of the same
/// kind; anything else keeps the derive. Serialization is unchanged (the
/// derive and `#[serde(untagged)]` stay for it). A value of another kind
/// fails with the derive's message ("data did not match any variant of
/// untagged enum X"); an array with a bad element now names the element
/// (`value[1]: invalid type: integer ...`) where the derive could only say
/// that no variant matched.
fn untagged_by_kind(items: &mut Vec<syn::Item>) -> Result<(), GenerateError> {
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Enum(e) = item else { continue };
        let untagged = e
            .attrs
            .iter()
            .any(|a| a.path().is_ident("serde") && quote!(#a).to_string().replace(' ', "").contains("(untagged)"));
        if !untagged {
            continue;
        }
        let mut variants = Vec::new();
        for v in &e.variants {
            let kind = match &v.fields {
                syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => json_kind(&f.unnamed[0].ty),
                _ => None,
            };
            match kind {
                Some(kind) if !variants.iter().any(|(_, _, k)| *k == kind) => {
                    variants.push((v.ident.clone(), v.fields.iter().next().map(|f| f.ty.clone()), kind))
                }
                _ => {
                    variants.clear();
                    break;
                }
            }
        }
        if variants.is_empty() {
            continue;
        }
        let mut derived = false;
        for attr in e.attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
            let paths = attr
                .parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .map_err(|err| GenerateError::Syntax(format!("derive of {}: {err}", e.ident)))?;
            let kept: Vec<&syn::Path> =
                paths.iter().filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize")).collect();
            derived |= kept.len() != paths.len();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
        if !derived {
            continue;
        }
        let name = &e.ident;
        let message = format!("data did not match any variant of untagged enum {name}");
        let expecting = format!(
            "{} ({name})",
            variants
                .iter()
                .map(|(_, _, k)| match k {
                    JsonKind::Str => "a string",
                    JsonKind::Seq => "an array",
                    JsonKind::Bool => "a boolean",
                })
                .collect::<Vec<_>>()
                .join(" or ")
        );
        let methods = variants.iter().map(|(v, ty, kind)| match kind {
            JsonKind::Str => quote! {
                fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v(value.to_owned()))
                }
                fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v(value))
                }
            },
            JsonKind::Seq => quote! {
                fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> ::std::result::Result<#name, A::Error> {
                    <#ty as ::serde::Deserialize>::deserialize(::serde::de::value::SeqAccessDeserializer::new(seq)).map(#name::#v)
                }
            },
            JsonKind::Bool => quote! {
                fn visit_bool<E: ::serde::de::Error>(self, value: bool) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v(value))
                }
            },
        });
        let others = [
            quote! { fn visit_i64<E: ::serde::de::Error>(self, _: i64) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
            quote! { fn visit_u64<E: ::serde::de::Error>(self, _: u64) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
            quote! { fn visit_f64<E: ::serde::de::Error>(self, _: f64) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
            quote! { fn visit_unit<E: ::serde::de::Error>(self) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
            quote! { fn visit_map<A: ::serde::de::MapAccess<'de>>(self, _: A) -> ::std::result::Result<#name, A::Error> { ::std::result::Result::Err(<A::Error as ::serde::de::Error>::custom(#message)) } },
        ];
        let unhandled =
            variants.iter().fold(vec![JsonKind::Str, JsonKind::Seq, JsonKind::Bool], |mut left, (_, _, k)| {
                left.retain(|x| x != k);
                left
            });
        let fallbacks = unhandled.iter().map(|k| match k {
            JsonKind::Str => quote! { fn visit_str<E: ::serde::de::Error>(self, _: &str) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
            JsonKind::Seq => quote! { fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, _: A) -> ::std::result::Result<#name, A::Error> { ::std::result::Result::Err(<A::Error as ::serde::de::Error>::custom(#message)) } },
            JsonKind::Bool => quote! { fn visit_bool<E: ::serde::de::Error>(self, _: bool) -> ::std::result::Result<#name, E> { ::std::result::Result::Err(E::custom(#message)) } },
        });
        impls.push(quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                /// By the kind of JSON value (see the generator's `untagged_by_kind`).
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    struct Kind;
                    impl<'de> ::serde::de::Visitor<'de> for Kind {
                        type Value = #name;
                        fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(#expecting)
                        }
                        #( #methods )*
                        #( #fallbacks )*
                        #( #others )*
                    }
                    deserializer.deserialize_any(Kind)
                }
            }
        });
    }
    for tokens in impls {
        items.extend(parse_items(tokens, "untagged enum")?);
    }
    Ok(())
}

/// Parses emitted tokens into items (prettyplease cannot print verbatim tokens).
fn parse_items(tokens: TokenStream, what: &str) -> Result<Vec<syn::Item>, GenerateError> {
    syn::parse2::<syn::File>(tokens)
        .map(|f| f.items)
        .map_err(|e| GenerateError::Syntax(format!("emitted code for {what}: {e}")))
}

/// Adds `#[deprecated(note = ...)]` to the field of `field.schema`'s struct
/// that holds JSON property `field.property`.
fn mark_deprecated(items: &mut [syn::Item], field: &DeprecatedField) -> Result<(), GenerateError> {
    let type_name = normalize::rust_type_name(&field.schema);
    let wanted_ident = snake(&field.property);
    let strukt = items
        .iter_mut()
        .find_map(|i| match i {
            syn::Item::Struct(s) if s.ident == type_name => Some(s),
            _ => None,
        })
        .ok_or_else(|| {
            GenerateError::Syntax(format!(
                "deprecated field {}.{}: no struct {type_name}",
                field.schema, field.property
            ))
        })?;
    let quoted = format!("\"{}\"", field.property);
    let target = strukt
        .fields
        .iter_mut()
        .find(|f| {
            let renamed = f
                .attrs
                .iter()
                .any(|a| a.path().is_ident("serde") && quote!(#a).to_string().contains(&format!("rename = {quoted}")));
            renamed || f.ident.as_ref().is_some_and(|i| *i == wanted_ident)
        })
        .ok_or_else(|| {
            GenerateError::Syntax(format!(
                "deprecated field {}.{}: not found in struct {type_name}",
                field.schema, field.property
            ))
        })?;
    let note = &field.note;
    target.attrs.push(syn::parse_quote!(#[deprecated(note = #note)]));
    Ok(())
}

fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::call_site())
}

/// The enum and serde impls of one `_type` union.
fn union_tokens(u: &Union) -> TokenStream {
    let name = ident(&u.rust_name);
    let schema = &u.schema;
    let mut doc = u.description.clone().unwrap_or_else(|| format!("The `{schema}` union."));
    doc.push_str(&format!(
        "\n\nOn the wire an object whose `_type` member names the variant; decoded by that tag, never by shape.{}",
        if u.open {
            " Can arrive in responses, so an unknown tag decodes as [`Self::Unknown`] instead of failing."
        } else {
            " Only sent in requests, so the set is closed."
        }
    ));
    let vnames: Vec<syn::Ident> = u.variants.iter().map(|v| ident(&v.rust_name)).collect();
    let payloads: Vec<syn::Ident> = u.variants.iter().map(|v| ident(&v.payload)).collect();
    let tags: Vec<&str> = u.variants.iter().map(|v| v.tag.as_str()).collect();
    let vdocs: Vec<String> = u.variants.iter().map(|v| format!("`\"_type\": \"{}\"`", v.tag)).collect();
    let (unknown_variant, unknown_tag, unknown_ser, from_unknown) = if u.open {
        (
            quote! {
                /// A variant this client does not know (Dixa added it after the
                /// client was generated): its tag and the whole raw object.
                Unknown(crate::UnknownVariant),
            },
            quote! { Self::Unknown(u) => &u.tag, },
            quote! { Self::Unknown(u) => ::serde::Serialize::serialize(&u.raw, serializer), },
            quote! { Some(Self::Unknown(unknown)) },
        )
    } else {
        (quote! {}, quote! {}, quote! {}, quote! { { let _ = unknown; None } })
    };
    // A closed union is request-only: it decodes only with the
    // `deserialize-requests` feature (see `serialize_only_requests`).
    let de_gate = if u.open {
        quote! {}
    } else {
        quote! { #[cfg(feature = "deserialize-requests")] }
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub enum #name {
            #( #[doc = #vdocs] #vnames(#payloads), )*
            #unknown_variant
        }

        impl #name {
            /// The wire tag (`_type`) of this value.
            pub fn tag(&self) -> &str {
                match self {
                    #( Self::#vnames(_) => #tags, )*
                    #unknown_tag
                }
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #( Self::#vnames(v) => crate::tagged::serialize(serializer, #tags, v), )*
                    #unknown_ser
                }
            }
        }

        #de_gate
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::tagged::deserialize(deserializer)
            }
        }

        #de_gate
        impl crate::tagged::TaggedUnion for #name {
            const NAME: &'static str = #schema;
            const TAGS: &'static [&'static str] = &[#(#tags),*];
            fn from_variant<'de, D: ::serde::Deserializer<'de>>(tag: &str, deserializer: D) -> ::std::result::Result<Self, D::Error> {
                match tag {
                    #( #tags => <#payloads as ::serde::Deserialize>::deserialize(deserializer).map(Self::#vnames), )*
                    other => Err(<D::Error as ::serde::de::Error>::unknown_variant(other, Self::TAGS)),
                }
            }
            fn from_unknown(unknown: crate::UnknownVariant) -> ::std::option::Option<Self> {
                #from_unknown
            }
        }

        #(
            impl ::std::convert::From<#payloads> for #name {
                fn from(value: #payloads) -> Self {
                    Self::#vnames(value)
                }
            }
        )*
    }
}

/// One field of a union payload struct: Rust name, JSON name, type (without
/// `Option`), whether it is optional.
struct PayloadField {
    ident: syn::Ident,
    json: String,
    base: syn::Type,
    optional: bool,
}

fn payload_fields(items: &[syn::Item], payload: &str) -> Option<Vec<PayloadField>> {
    let strukt = items.iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == payload => Some(s),
        _ => None,
    })?;
    let mut out = Vec::new();
    for f in &strukt.fields {
        let ident = f.ident.clone()?;
        let json = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("serde"))
            .find_map(|a| {
                let text = quote!(#a).to_string();
                let at = text.find("rename = \"")? + "rename = \"".len();
                Some(text[at..].split('"').next()?.to_string())
            })
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
        let (base, optional) = match crate::calls::inner_of(&f.ty, "Option") {
            Some(inner) => (inner.clone(), true),
            None => (f.ty.clone(), false),
        };
        out.push(PayloadField { ident, json, base, optional });
    }
    Some(out)
}

/// Type text that compares equal whether or not typify wrote `crate::types::`.
fn type_key(ty: &syn::Type) -> String {
    quote!(#ty).to_string().replace("crate :: types :: ", "").replace(' ', "")
}

/// Accessors for what every known variant of a union has.
///
/// Rule: a field present in the payload struct of every variant, with the
/// same JSON name and the same type (optional or not), gets a method of
/// that name returning `Option<T>` (a clone): the variant's value, or for
/// `Unknown` the member read from the raw JSON (`None` when it is absent
/// or has another shape). So `conversation.id()` works across all twelve
/// conversation types, and for one Dixa adds later.
fn union_accessors(u: &Union, items: &[syn::Item]) -> TokenStream {
    let mut per_variant = Vec::new();
    for v in &u.variants {
        match payload_fields(items, &v.payload) {
            Some(fields) => per_variant.push(fields),
            None => return quote!(),
        }
    }
    let Some((first, rest)) = per_variant.split_first() else { return quote!() };
    let name = ident(&u.rust_name);
    let vnames: Vec<syn::Ident> = u.variants.iter().map(|v| ident(&v.rust_name)).collect();
    let mut methods = Vec::new();
    for field in first {
        // `tag()` is the wire tag; a field of that name keeps its struct access.
        if field.ident == "tag" {
            continue;
        }
        let key = type_key(&field.base);
        let matching: Option<Vec<&PayloadField>> = rest
            .iter()
            .map(|fields| {
                fields.iter().find(|f| f.ident == field.ident && f.json == field.json && type_key(&f.base) == key)
            })
            .collect();
        let Some(matching) = matching else { continue };
        let fname = &field.ident;
        let base = &field.base;
        let arms = std::iter::once(field).chain(matching).zip(&vnames).map(|(f, v)| {
            if f.optional {
                quote! { Self::#v(value) => value.#fname.clone(), }
            } else {
                quote! { Self::#v(value) => ::std::option::Option::Some(value.#fname.clone()), }
            }
        });
        let json = &field.json;
        let unknown = if u.open {
            quote! {
                Self::Unknown(unknown) => unknown.raw.get(#json).cloned().and_then(|raw| ::serde_json::from_value(raw).ok()),
            }
        } else {
            quote!()
        };
        let doc = format!(
            "`{json}`, which every known variant has{}.",
            if u.open {
                "; for [`Self::Unknown`] read from its raw JSON (`None` when absent or of another shape)"
            } else {
                ""
            }
        );
        methods.push(quote! {
            #[doc = #doc]
            pub fn #fname(&self) -> ::std::option::Option<#base> {
                match self {
                    #( #arms )*
                    #unknown
                }
            }
        });
    }
    if methods.is_empty() {
        return quote!();
    }
    quote! {
        impl #name {
            #( #methods )*
        }
    }
}

/// The enum and impls of one open string value set.
fn open_enum_tokens(e: &OpenEnum) -> Result<TokenStream, GenerateError> {
    let name = ident(&e.name);
    let mut vnames = Vec::new();
    for v in &e.values {
        let mut n = normalize::rust_type_name(v);
        if n == "Unknown" {
            n = "UnknownValue".into();
        }
        if vnames.contains(&n) {
            return Err(GenerateError::Syntax(format!("open enum {}: two values map to variant {n}", e.name)));
        }
        vnames.push(n);
    }
    let vnames: Vec<syn::Ident> = vnames.iter().map(|n| ident(n)).collect();
    let values = &e.values;
    let doc = format!(
        "Values of {}.\n\nOpen: Dixa may send values this client does not know yet; they decode as [`Self::Unknown`] and are sent back unchanged.",
        e.used_by.join(", ")
    );
    let vdocs: Vec<String> = values.iter().map(|v| format!("`\"{v}\"`")).collect();
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #( #[doc = #vdocs] #vnames, )*
            /// A value this client does not know, as Dixa sent it.
            Unknown(::std::string::String),
        }

        impl #name {
            /// The values this client knows.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#vnames => #values, )*
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#vnames, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::tagged::deserialize_open_str(deserializer)
            }
        }
    })
}

/// `pub const OPERATIONS: &[crate::OperationMeta]`.
fn operations_table(ops: &[Operation], calls: &[crate::calls::Call]) -> TokenStream {
    let entries = ops.iter().zip(calls).map(|(op, call)| {
        let Operation { spec_operation_id, operation_id, method, path, paginated } = op;
        let builder = &call.builder;
        let bulk = match &call.bulk {
            None => quote!(::std::option::Option::None),
            Some((max, kind, text)) => {
                let source = match *kind {
                    "documented" => quote!(crate::runtime::LimitSource::Documented(#text)),
                    "inferred" => quote!(crate::runtime::LimitSource::Inferred(#text)),
                    _ => quote!(crate::runtime::LimitSource::ProjectDefault),
                };
                quote!(::std::option::Option::Some(crate::runtime::BulkLimit::new(#max, #source)))
            }
        };
        quote! {
            crate::OperationMeta {
                operation_id: #operation_id,
                spec_operation_id: #spec_operation_id,
                method: #method,
                path: #path,
                rust_method: #operation_id,
                builder: #builder,
                paginated: #paginated,
                bulk: #bulk,
            }
        }
    });
    quote! {
        /// Every operation, in spec order: its id (also the client method
        /// that starts it), HTTP method, path template, builder, whether it
        /// is paginated and, for bulk operations, the per-call item limit.
        pub const OPERATIONS: &[crate::OperationMeta] = &[ #(#entries),* ];
    }
}

/// The operation table included in the crate docs.
fn operations_markdown(ops: &[Operation], calls: &[crate::calls::Call], spec_file: &str) -> String {
    let mut md = format!(
        "## Operations\n\n\
         Every operation of the Dixa API v1, the client method that starts it and its builder\n\
         (generated from `{spec_file}` by `{REGENERATE_COMMAND}`; do not edit).\n\
         \"Paginated\" operations take a `pageKey` or return `meta.next`; \"bulk\" ones take a list\n\
         of items, with the per-call limit.\n\n\
         | Method | Path | Client method | Paginated | Bulk |\n|---|---|---|---|---|\n"
    );
    for (op, call) in ops.iter().zip(calls) {
        md.push_str(&format!(
            "| {} | `{}` | [`{}`](crate::builder::{}) | {} | {} |\n",
            op.method,
            op.path,
            op.operation_id,
            call.builder,
            if op.paginated { "yes" } else { "" },
            call.bulk.as_ref().map(|(n, kind, _)| format!("{n} ({kind})")).unwrap_or_default()
        ));
    }
    md
}
