//! The Rust view: the public surface of a generated client (a `syn` parse of
//! `generated.rs`) and what changed in it for callers.
//!
//! Only what callers touch is compared: the types of `types` (struct fields
//! by JSON name, enum variants and whether the enum is `#[non_exhaustive]`,
//! aliases), which types have a builder (request types: callers construct
//! them), and the `Client` methods. Which change breaks Rust code is
//! decided here: a new variant breaks an exhaustive `match` unless the enum
//! is `#[non_exhaustive]`; a new field breaks struct literals of types
//! callers construct (those with builders), not of response-only types.

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;

use super::{Change, Class, RustKey};

/// One type of `types`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Struct { fields: BTreeMap<String, String> },
    Enum { variants: BTreeMap<String, String>, non_exhaustive: bool },
    Alias(String),
}

/// The public surface of one generated client: what callers can name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Surface {
    types: BTreeMap<String, Shape>,
    /// Types with a struct builder (`types::builder::X`): callers build them.
    built: BTreeSet<String>,
    /// `Client` methods.
    methods: BTreeSet<String>,
}

impl Surface {
    /// Parses the text of a `generated.rs` (syn's message when it does not parse).
    pub fn parse(source: &str) -> Result<Self, String> {
        let file = crate::timing::step("changelog: parse a client's text", || syn::parse_file(source))
            .map_err(|e| e.to_string())?;
        Ok(Self::of(&file))
    }

    /// The surface of a generated client's syntax tree, as
    /// [`crate::generate::generate_parsed`] hands it back: the same surface
    /// as [`Surface::parse`] of its printed text, without parsing that again.
    pub fn of(file: &syn::File) -> Self {
        let mut s = Surface::default();
        for item in &file.items {
            match item {
                syn::Item::Mod(m) if m.ident == "types" => {
                    for i in m.content.iter().flat_map(|c| &c.1) {
                        s.type_item(i);
                    }
                }
                syn::Item::Impl(imp) if imp.trait_.is_none() && tokens(&imp.self_ty) == "Client" => {
                    for i in &imp.items {
                        if let syn::ImplItem::Fn(f) = i {
                            if matches!(f.vis, syn::Visibility::Public(_)) {
                                s.methods.insert(f.sig.ident.to_string());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        s
    }

    fn type_item(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Struct(st) => {
                let fields = st
                    .fields
                    .iter()
                    .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
                    .map(|f| (json_name(f), pretty(&f.ty)))
                    .collect();
                self.types.insert(st.ident.to_string(), Shape::Struct { fields });
            }
            syn::Item::Enum(e) => {
                // Token spacing differs between a generated tree and its
                // printed-and-parsed text; without spaces the two agree.
                let variants =
                    e.variants.iter().map(|v| (v.ident.to_string(), tokens(&v.fields).replace(' ', ""))).collect();
                let non_exhaustive = e.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
                self.types.insert(e.ident.to_string(), Shape::Enum { variants, non_exhaustive });
            }
            syn::Item::Type(t) => {
                self.types.insert(t.ident.to_string(), Shape::Alias(pretty(&t.ty)));
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for i in m.content.iter().flat_map(|c| &c.1) {
                    if let syn::Item::Struct(st) = i {
                        self.built.insert(st.ident.to_string());
                    }
                }
            }
            _ => {}
        }
    }
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

/// A type as a reader writes it: `Option<Vec<ChannelValue>>`, not the token
/// stream's `:: std :: option :: Option < ...`.
fn pretty(ty: &syn::Type) -> String {
    let mut s = tokens(ty).replace(' ', "").replace(',', ", ").replace(", >", ">");
    for prefix in
        ["::std::option::", "::std::vec::", "::std::string::", "::std::collections::", "crate::types::", "crate::"]
    {
        s = s.replace(prefix, "");
    }
    s
}

/// The JSON name of a field: its `#[serde(rename = "...")]`, else the ident.
fn json_name(f: &syn::Field) -> String {
    for a in &f.attrs {
        if !a.path().is_ident("serde") {
            continue;
        }
        let text = tokens(a);
        if let Some(start) = text.find("rename = \"") {
            let rest = &text[start + "rename = \"".len()..];
            if let Some(end) = rest.find('"') {
                return rest[..end].to_string();
            }
        }
    }
    f.ident.as_ref().map(|i| i.to_string().trim_start_matches("r#").to_string()).unwrap_or_default()
}

/// The Rust-side diff.
pub(crate) struct RustDiff {
    /// Changes, each keyed so a spec change can claim it.
    pub changes: Vec<Change>,
    /// Enums (`types::X`) that gained variants without being `#[non_exhaustive]`.
    pub grown_enums: Vec<String>,
}

fn rust_change(
    class: Class,
    kind: &str,
    type_name: &str,
    family: &'static str,
    member: &str,
    detail: String,
    reason: &str,
) -> Change {
    Change {
        class,
        kind: kind.to_string(),
        location: if member.is_empty() {
            format!("types::{type_name}")
        } else {
            format!("types::{type_name}::{member}")
        },
        detail,
        reason: reason.to_string(),
        rust_key: Some(RustKey { type_name: type_name.to_string(), family, member: member.to_string() }),
    }
}

/// What changed for Rust callers from `old` to `new`.
pub(crate) fn diff(old: &Surface, new: &Surface) -> RustDiff {
    let mut changes = Vec::new();
    let mut grown = Vec::new();
    for m in old.methods.difference(&new.methods) {
        changes.push(Change {
            class: Class::BreakingForRust,
            kind: "client.method-removed".into(),
            location: format!("Client::{m}"),
            detail: "method removed".into(),
            reason: "Code calling it no longer compiles.".into(),
            rust_key: Some(RustKey { type_name: "Client".into(), family: "method", member: m.clone() }),
        });
    }
    for (name, before) in &old.types {
        let Some(after) = new.types.get(name) else {
            changes.push(rust_change(
                Class::BreakingForRust,
                "type.removed",
                name,
                "type-removed",
                "",
                "type removed".into(),
                "Code naming it no longer compiles.",
            ));
            continue;
        };
        match (before, after) {
            (Shape::Struct { fields: a }, Shape::Struct { fields: b }) => {
                for f in a.keys().filter(|f| !b.contains_key(*f)) {
                    changes.push(rust_change(
                        Class::BreakingForRust,
                        "struct.field-removed",
                        name,
                        "field-removed",
                        f,
                        "field removed".into(),
                        "Code reading or setting the field no longer compiles.",
                    ));
                }
                for (f, ty) in b.iter().filter(|(f, _)| !a.contains_key(*f)) {
                    let (class, reason) = if new.built.contains(name) {
                        (
                            Class::BreakingForRust,
                            "A field of a type callers construct: struct literals without it no longer compile (the builder keeps working).",
                        )
                    } else {
                        (Class::Additive, "A response-only type: callers read it and do not construct it.")
                    };
                    changes.push(rust_change(
                        class,
                        "struct.field-added",
                        name,
                        "field-added",
                        f,
                        format!("field added: {ty}"),
                        reason,
                    ));
                }
                for (f, ty) in b.iter().filter(|(f, ty)| a.get(*f).is_some_and(|t| t != *ty)) {
                    changes.push(rust_change(
                        Class::BreakingForRust,
                        "struct.field-type-changed",
                        name,
                        "field-type-changed",
                        f,
                        format!("field type {} -> {ty}", a[f]),
                        "Code using the field with its old type no longer compiles.",
                    ));
                }
            }
            (Shape::Enum { variants: a, .. }, Shape::Enum { variants: b, non_exhaustive }) => {
                let added: Vec<&String> = b.keys().filter(|v| !a.contains_key(*v)).collect();
                if !added.is_empty() && !non_exhaustive {
                    grown.push(format!("types::{name}"));
                }
                for v in added {
                    let (class, reason) = if *non_exhaustive {
                        (Class::Additive, "The enum is #[non_exhaustive]: matches already have a wildcard arm.")
                    } else {
                        (
                            Class::BreakingForRust,
                            "The enum is exhaustive: a `match` without a wildcard arm no longer compiles. #[non_exhaustive] would make this additive.",
                        )
                    };
                    changes.push(rust_change(
                        class,
                        "enum.variant-added",
                        name,
                        "variant-added",
                        v,
                        "variant added".into(),
                        reason,
                    ));
                }
                for v in a.keys().filter(|v| !b.contains_key(*v)) {
                    changes.push(rust_change(
                        Class::BreakingForRust,
                        "enum.variant-removed",
                        name,
                        "variant-removed",
                        v,
                        "variant removed".into(),
                        "Code naming the variant no longer compiles.",
                    ));
                }
            }
            (a, b) if a != b => changes.push(rust_change(
                Class::BreakingForRust,
                "type.kind-changed",
                name,
                "type-removed",
                "",
                format!("now {}", kind(b)),
                &format!("It was {}; code using it as one no longer compiles.", kind(a)),
            )),
            _ => {}
        }
    }
    for name in new.types.keys().filter(|n| !old.types.contains_key(*n)) {
        changes.push(rust_change(
            Class::Additive,
            "type.added",
            name,
            "type-added",
            "",
            format!("new {}", kind(&new.types[name])),
            "A new type.",
        ));
    }
    for m in new.methods.difference(&old.methods) {
        changes.push(Change {
            class: Class::Additive,
            kind: "client.method-added".into(),
            location: format!("Client::{m}"),
            detail: "method added".into(),
            reason: "A new operation method.".into(),
            rust_key: Some(RustKey { type_name: "Client".into(), family: "method", member: m.clone() }),
        });
    }
    RustDiff { changes, grown_enums: grown }
}

fn kind(s: &Shape) -> &'static str {
    match s {
        Shape::Struct { .. } => "struct",
        Shape::Enum { .. } => "enum",
        Shape::Alias(_) => "type alias",
    }
}
