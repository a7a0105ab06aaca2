//! The call shape: one builder per operation, generated from the spec by rule.
//!
//! progenitor's own builders return `progenitor_client::Error` and
//! `ResponseValue<Envelope>`, which cannot carry the runtime's error type
//! nor hand back the resource; they are replaced by builders emitted here
//! (`dixa-client/src/generated.rs`, module `builder`), generic over
//! `crate::runtime::Runtime`:
//!
//! - one field and one `impl Into<T>` setter per parameter (path and query,
//!   in spec order) and `body` for the request body;
//! - `request()`: the [`Request`](../../dixa_client/runtime/struct.Request.html)
//!   (every path segment through `crate::path::encode_segment`);
//! - `send()`: the resource. Rule: a success body that is an object whose
//!   only member is `data` is an envelope, and `send()` returns `data`; a
//!   newtype around a list returns the list; anything else (a page with
//!   `meta`) returns the whole body. `send_with_response()` returns the
//!   whole body with status and headers;
//! - paginated operations (the normalizer's rule: `pageKey` or `meta.next`)
//!   implement `runtime::Paginated`, and their page body `runtime::PageBody`;
//! - bulk operations implement `runtime::Bulk`. Rule: the request body is a
//!   list, or an object whose only member is a list, and the answer is
//!   per-item outcomes or nothing (a list body answered with anything else is
//!   a plain operation); per-item outcomes come
//!   from the answer's `data` list of `BulkActionSuccess`/`BulkActionFailure`
//!   unions, and an operation answering without a body (204) counts every
//!   item of a successful call as succeeded. The per-call limit is data in
//!   the operation table: "Up to N" in the body's description (documented),
//!   else the documented limit of another bulk operation with the same body
//!   schema (inferred), else [`UNDOCUMENTED_BULK_LIMIT`].
//!
//! The methods that start each builder (`client.get_agent()`) are emitted as
//! the `impl_operations!` macro, which the runtime crate invokes once for
//! its client type, so they are inherent methods there.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::generate::GenerateError;
use crate::normalize::{self, Normalized, Operation};

/// Items per call of a bulk operation whose limit is documented nowhere.
pub const UNDOCUMENTED_BULK_LIMIT: usize = 100;

/// What the generator knows about one operation beyond [`Operation`].
#[derive(Debug, Clone)]
pub struct Call {
    /// The builder struct's name.
    pub builder: String,
    /// Bulk limit, when the operation is bulk: (max, source kind, text).
    pub bulk: Option<(usize, &'static str, String)>,
}

fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::call_site())
}

fn syntax(what: &str, detail: impl std::fmt::Display) -> GenerateError {
    GenerateError::Syntax(format!("{what}: {detail}"))
}

/// The struct definitions of the `types` module, by name.
struct Types<'a> {
    structs: HashMap<String, &'a syn::ItemStruct>,
    names: BTreeSet<String>,
}

impl<'a> Types<'a> {
    fn new(items: &'a [syn::Item]) -> Self {
        let mut structs = HashMap::new();
        let mut names = BTreeSet::new();
        for item in items {
            match item {
                syn::Item::Struct(s) => {
                    names.insert(s.ident.to_string());
                    structs.insert(s.ident.to_string(), s);
                }
                syn::Item::Enum(e) => {
                    names.insert(e.ident.to_string());
                }
                syn::Item::Type(t) => {
                    names.insert(t.ident.to_string());
                }
                _ => {}
            }
        }
        Self { structs, names }
    }

    /// `ty` as written inside `types`, made valid in `builder` (`EndUser` -> `types::EndUser`).
    fn qualify(&self, ty: &syn::Type) -> syn::Type {
        let mut ty = ty.clone();
        self.qualify_in_place(&mut ty);
        ty
    }

    fn qualify_in_place(&self, ty: &mut syn::Type) {
        if let syn::Type::Path(p) = ty {
            if p.qself.is_none() && p.path.leading_colon.is_none() && p.path.segments.len() == 1 {
                let name = p.path.segments[0].ident.to_string();
                if self.names.contains(&name) {
                    p.path.segments.insert(0, syn::PathSegment::from(ident("types")));
                }
            }
            for seg in p.path.segments.iter_mut() {
                if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in args.args.iter_mut() {
                        if let syn::GenericArgument::Type(t) = arg {
                            self.qualify_in_place(t);
                        }
                    }
                }
            }
        }
    }

    /// The named fields of struct `name`: (field name, type).
    fn fields(&self, name: &str) -> Option<Vec<(String, syn::Type)>> {
        let s = self.structs.get(name)?;
        Some(
            s.fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.ident.as_ref().map(|i| i.to_string()).unwrap_or_else(|| i.to_string()), f.ty.clone()))
                .collect(),
        )
    }
}

/// The `T` of `Wrapper<T>` when the last path segment is `wrapper`.
pub(crate) fn inner_of<'t>(ty: &'t syn::Type, wrapper: &str) -> Option<&'t syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// One parameter of an operation.
struct Param {
    name: String,
    field: syn::Ident,
    location: &'static str,
    required: bool,
    ty: TokenStream,
    doc: String,
}

fn resolve<'v>(spec: &'v Value, v: &'v Value) -> &'v Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = spec;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            cur
        }
        None => v,
    }
}

/// The Rust type of a parameter schema.
fn param_type(schema: &Value, normalized: &Normalized, what: &str) -> Result<TokenStream, GenerateError> {
    if let Some(name) = normalize::ref_name(schema) {
        let rust = normalize::rust_type_name(name);
        return Ok(match normalized.custom.replacements.get(&rust) {
            Some(path) => syn::parse_str::<syn::Type>(path).map(|t| quote!(#t)).map_err(|e| syntax(what, e))?,
            None => {
                let i = ident(&rust);
                quote!(types::#i)
            }
        });
    }
    let format = schema["format"].as_str().unwrap_or("");
    Ok(match (schema["type"].as_str().unwrap_or(""), format) {
        ("string", "uuid") => quote!(::uuid::Uuid),
        ("string", "date-time") => quote!(crate::Timestamp),
        ("string", _) => quote!(::std::string::String),
        ("integer", "int32") => quote!(i32),
        ("integer", _) => quote!(i64),
        ("number", _) => quote!(f64),
        ("boolean", _) => quote!(bool),
        (other, _) => return Err(syntax(what, format!("parameter schema of type `{other}` is not supported"))),
    })
}

fn params(spec: &Value, op: &Operation, op_json: &Value, normalized: &Normalized) -> Result<Vec<Param>, GenerateError> {
    let mut out: Vec<Param> = Vec::new();
    let item = &spec["paths"][&op.path];
    let all = item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(op_json["parameters"].as_array().into_iter().flatten());
    for p in all {
        let p = resolve(spec, p);
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let location = match p["in"].as_str() {
            Some("path") => "path",
            Some("query") => "query",
            // Headers and cookies: none in Dixa's spec.
            other => return Err(syntax(&op.operation_id, format!("parameter `{name}` in {other:?} is not supported"))),
        };
        let what = format!("{} parameter {name}", op.operation_id);
        let ty = param_type(&p["schema"], normalized, &what)?;
        let doc = p["description"].as_str().unwrap_or_default().trim().to_string();
        let field = ident(&normalize::method_name(&name));
        let param = Param { required: location == "path" || p["required"] == true, name, field, location, ty, doc };
        // An operation-level parameter overrides a path-level one of the same name.
        out.retain(|q| q.name != param.name);
        out.push(param);
    }
    Ok(out)
}

/// How `send()` gets from the decoded body to what it returns.
enum Access {
    /// No body (204): `()`.
    Empty,
    /// `{data}` envelope: `.data`.
    Data(syn::Type),
    /// Newtype around a list: `.0`.
    Newtype(syn::Type),
    /// The whole body.
    Whole,
}

/// Computes the per-operation metadata codegen adds: builder names and bulk limits.
pub fn calls(normalized: &Normalized) -> Vec<Call> {
    let spec = &normalized.spec;
    let bodies: Vec<Option<(String, Option<usize>)>> = normalized
        .operations
        .iter()
        .map(|op| {
            let op_json = &spec["paths"][&op.path][op.method.to_lowercase()];
            bulk_body(spec, op_json).map(|(schema, _, _)| {
                let description = op_json["requestBody"]["description"].as_str().unwrap_or_default();
                (schema, documented_limit(description))
            })
        })
        .collect();
    normalized
        .operations
        .iter()
        .zip(&bodies)
        .map(|(op, body)| {
            let bulk = body.as_ref().map(|(schema, documented)| match documented {
                Some(n) => {
                    let description = spec["paths"][&op.path][op.method.to_lowercase()]["requestBody"]["description"]
                        .as_str()
                        .unwrap_or_default();
                    (
                        *n,
                        "documented",
                        format!("requestBody.description of {} {}: \"{}\"", op.method, op.path, description.trim()),
                    )
                }
                None => {
                    let twin = normalized.operations.iter().zip(&bodies).find_map(|(other, b)| match b {
                        Some((s, Some(n))) if s == schema => Some((other, *n)),
                        _ => None,
                    });
                    match twin {
                        Some((other, n)) => (
                            n,
                            "inferred",
                            format!(
                                "same input schema ({schema}) as {} {}, documented at {n}",
                                other.method, other.path
                            ),
                        ),
                        None => (UNDOCUMENTED_BULK_LIMIT, "default", String::new()),
                    }
                }
            });
            Call { builder: normalize::rust_type_name(&op.operation_id), bulk }
        })
        .collect()
}

/// `Up to N` in a description.
fn documented_limit(description: &str) -> Option<usize> {
    let lower = description.to_lowercase();
    let at = lower.find("up to ")?;
    lower[at + 6..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Whether an operation answers per-item outcomes or nothing: its success
/// answer has no body, or its `data` is a list of a union tagged
/// `BulkActionSuccess`/`BulkActionFailure`. A list body answered with
/// anything else (e.g. the list of what was stored) is a plain operation.
fn answers_outcomes(spec: &Value, op_json: &Value) -> bool {
    let Some(responses) = op_json["responses"].as_object() else { return false };
    let Some((_, success)) = responses.iter().find(|(code, _)| code.starts_with('2')) else { return true };
    let schema = &success["content"]["application/json"]["schema"];
    if schema.is_null() {
        return true;
    }
    let body = resolve(spec, schema);
    let data = resolve(spec, &body["properties"]["data"]);
    let items = resolve(spec, &data["items"]);
    let tags = items["discriminator"]["mapping"].as_object();
    tags.is_some_and(|t| t.contains_key("BulkActionSuccess") && t.contains_key("BulkActionFailure"))
}

/// For a bulk operation (a list body, answered with per-item outcomes or
/// nothing): (body schema name, the list member's name or None for a bare
/// list, the item schema).
fn bulk_body(spec: &Value, op_json: &Value) -> Option<(String, Option<String>, Value)> {
    if !answers_outcomes(spec, op_json) {
        return None;
    }
    let schema_ref = &op_json["requestBody"]["content"]["application/json"]["schema"];
    let name = normalize::ref_name(schema_ref)?.to_string();
    let schema = resolve(spec, schema_ref);
    if schema["type"] == "array" {
        return Some((name, None, schema["items"].clone()));
    }
    let props = schema["properties"].as_object()?;
    if props.len() != 1 {
        return None;
    }
    let (key, prop) = props.iter().next()?;
    let prop = resolve(spec, prop);
    (prop["type"] == "array").then(|| (name, Some(key.clone()), prop["items"].clone()))
}

/// Everything per operation: `pub mod builder`, the page and bulk trait
/// impls, and the `impl_operations!` macro.
pub fn emit(normalized: &Normalized, calls: &[Call], types_items: &[syn::Item]) -> Result<TokenStream, GenerateError> {
    let spec = &normalized.spec;
    let types = Types::new(types_items);
    let mut builders = Vec::new();
    let mut page_impls = BTreeMap::new();
    let mut constructors = Vec::new();
    for (index, (op, call)) in normalized.operations.iter().zip(calls).enumerate() {
        let op_json = &spec["paths"][&op.path][op.method.to_lowercase()];
        let name = ident(&call.builder);
        let method = ident(&op.operation_id);
        let params = params(spec, op, op_json, normalized)?;

        // Body.
        let body_schema = &op_json["requestBody"]["content"]["application/json"]["schema"];
        let body = match normalize::ref_name(body_schema) {
            Some(schema) => {
                let rust = normalize::rust_type_name(schema);
                let ty = match normalized.custom.replacements.get(&rust) {
                    Some(path) => syn::parse_str::<syn::Type>(path).map_err(|e| syntax(&op.operation_id, e))?,
                    None => {
                        types.qualify(&syn::parse_str::<syn::Type>(&rust).map_err(|e| syntax(&op.operation_id, e))?)
                    }
                };
                Some((ty, op_json["requestBody"]["required"] == true, schema.to_string()))
            }
            None if body_schema.is_null() => None,
            None => return Err(syntax(&op.operation_id, "an inline request body schema is not supported")),
        };
        // A raw body (`application/octet-stream`, e.g. a multipart form the
        // normalizer turned into bytes): the caller's bytes, sent as they are.
        let raw_body = body.is_none() && op_json["requestBody"]["content"]["application/octet-stream"].is_object();
        let raw_required = op_json["requestBody"]["required"] == true;

        // Success answer.
        let success = op_json["responses"]
            .as_object()
            .and_then(|rs| rs.iter().find(|(code, _)| code.starts_with('2')))
            .map(|(_, r)| resolve(spec, r)["content"]["application/json"]["schema"].clone())
            .unwrap_or(Value::Null);
        let (decode, access, output_name) = match normalize::ref_name(&success) {
            None if success.is_null() => (quote!(()), Access::Empty, None),
            None => return Err(syntax(&op.operation_id, "an inline response schema is not supported")),
            Some(schema) => {
                let rust = normalize::rust_type_name(schema);
                let out_ty =
                    types.qualify(&syn::parse_str::<syn::Type>(&rust).map_err(|e| syntax(&op.operation_id, e))?);
                let fields = types.fields(&rust).unwrap_or_default();
                let access = match fields.as_slice() {
                    [(f, ty)] if f == "data" => Access::Data(types.qualify(ty)),
                    [(f, ty)] if f == "0" && inner_of(ty, "Vec").is_some() => Access::Newtype(types.qualify(ty)),
                    _ => Access::Whole,
                };
                (quote!(#out_ty), access, Some((rust, fields)))
            }
        };
        // How the decoded answer becomes the resource `send()` returns.
        let (resource, into) = match &access {
            Access::Empty => (quote!(()), quote!(::std::convert::identity)),
            Access::Data(t) => (quote!(#t), quote!(|body: #decode| body.data)),
            Access::Newtype(t) => (quote!(#t), quote!(|body: #decode| body.0)),
            Access::Whole => (decode.clone(), quote!(::std::convert::identity)),
        };

        // Fields, setters, request building.
        let fields: Vec<&syn::Ident> = params.iter().map(|p| &p.field).collect();
        let field_tys: Vec<&TokenStream> = params.iter().map(|p| &p.ty).collect();
        let setters = params.iter().map(|p| {
            let Param { field, ty, name, doc, location, required, .. } = p;
            let mut d = format!("`{name}` ({location} parameter{}).", if *required { ", required" } else { "" });
            if !doc.is_empty() {
                d = format!("{doc}\n\n{d}");
            }
            quote! {
                #[doc = #d]
                pub fn #field(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                    self.#field = ::std::option::Option::Some(value.into());
                    self
                }
            }
        });
        let required_checks = params.iter().filter(|p| p.required).map(|p| {
            let Param { field, name, .. } = p;
            quote! {
                let #field = self.#field.as_ref().ok_or(crate::runtime::RequestError::Missing(#name))?;
            }
        });
        // The path: literal pieces and encoded segments.
        let mut fmt = String::new();
        let mut segs = Vec::new();
        let mut rest = op.path.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c).ok_or_else(|| syntax(&op.path, "unclosed `{`"))?;
            fmt.push_str(&rest[..open].replace('{', "{{").replace('}', "}}"));
            fmt.push_str("{}");
            let pname = &rest[open + 1..close];
            let p = params
                .iter()
                .find(|p| p.location == "path" && p.name == pname)
                .ok_or_else(|| syntax(&op.path, format!("path parameter `{pname}` is not declared")))?;
            let field = &p.field;
            segs.push(quote! { crate::path::encode_segment(#pname, &#field.to_string())? });
            rest = &rest[close + 1..];
        }
        fmt.push_str(rest);
        let query_pushes = params.iter().filter(|p| p.location == "query").map(|p| {
            let Param { field, name, required, .. } = p;
            if *required {
                quote! { __query.push((#name, #field.to_string())); }
            } else {
                quote! {
                    if let ::std::option::Option::Some(value) = &self.#field {
                        __query.push((#name, value.to_string()));
                    }
                }
            }
        });
        let query_len = params.iter().filter(|p| p.location == "query").count();
        let (body_field, body_field_init, body_clone, body_setter, body_value) = match &body {
            Some((ty, required, _)) => {
                let missing = if *required {
                    quote! { ::std::option::Option::None => return ::std::result::Result::Err(crate::runtime::RequestError::Missing("body")), }
                } else {
                    quote! { ::std::option::Option::None => ::std::option::Option::None, }
                };
                (
                    quote! { body: ::std::option::Option<#ty>, },
                    quote! { body: ::std::option::Option::None, },
                    quote! { body: self.body.clone(), },
                    quote! {
                        /// The request body.
                        pub fn body(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                            self.body = ::std::option::Option::Some(value.into());
                            self
                        }
                    },
                    quote! {
                        let __body = match &self.body {
                            ::std::option::Option::Some(body) => ::std::option::Option::Some(crate::runtime::to_json(body)?),
                            #missing
                        };
                    },
                )
            }
            None if raw_body => {
                let missing = if raw_required {
                    quote! { ::std::option::Option::None => return ::std::result::Result::Err(crate::runtime::RequestError::Missing("body")), }
                } else {
                    quote! { ::std::option::Option::None => ::std::option::Option::None, }
                };
                (
                    quote! { body: ::std::option::Option<::std::vec::Vec<u8>>, },
                    quote! { body: ::std::option::Option::None, },
                    quote! { body: self.body.clone(), },
                    quote! {
                        /// The request body, as raw bytes (for a multipart form, the
                        /// bytes of `dixa_client::multipart::Form::into_bytes`).
                        pub fn body(mut self, value: impl ::std::convert::Into<::std::vec::Vec<u8>>) -> Self {
                            self.body = ::std::option::Option::Some(value.into());
                            self
                        }
                    },
                    quote! {
                        let __raw = match &self.body {
                            ::std::option::Option::Some(body) => ::std::option::Option::Some(crate::runtime::RawBody::new(body.clone())),
                            #missing
                        };
                        let __body = ::std::option::Option::None;
                    },
                )
            }
            None => (quote!(), quote!(), quote!(), quote!(), quote! { let __body = ::std::option::Option::None; }),
        };
        let with_raw = if raw_body { quote!(.with_raw_body(__raw)) } else { quote!() };

        let summary = op_json["summary"].as_str().unwrap_or_default().trim();
        let description = op_json["description"].as_str().unwrap_or_default().trim();
        let route = format!("`{} {}`", op.method, op.path);
        let mut op_doc = if summary.is_empty() { route.clone() } else { format!("{summary}\n\n{route}") };
        if !description.is_empty() && description != summary {
            op_doc.push_str(&format!("\n\n{description}"));
        }
        let builder_doc = format!(
            "Builder of {route} (`{}`): set parameters, then `.send().await`.\n\nMade by the client's `{}()` method.",
            op.operation_id, op.operation_id
        );
        let send_doc = match &access {
            Access::Empty => "Sends the request; `Ok(())` on success (the answer has no body).".to_string(),
            Access::Data(_) => "Sends the request and returns the answer's `data`.".to_string(),
            Access::Newtype(_) => "Sends the request and returns the answer's list.".to_string(),
            Access::Whole => "Sends the request and returns the decoded answer.".to_string(),
        };
        let constructor_doc = op_doc.clone();
        constructors.push(quote! {
            #[doc = #constructor_doc]
            pub fn #method(&self) -> $crate::builder::#name<'_, Self> {
                $crate::builder::#name::new(self)
            }
        });

        let paginated_impl = if op.paginated {
            let (out_name, fields) = output_name
                .as_ref()
                .ok_or_else(|| syntax(&op.operation_id, "paginated, but answers without a body"))?;
            let data = fields.iter().find(|(f, _)| f == "data").map(|(_, t)| t);
            let meta = fields.iter().find(|(f, _)| f == "meta").map(|(_, t)| t);
            let Some(data) = data else {
                return Err(syntax(&op.operation_id, format!("paginated, but {out_name} has no `data` list")));
            };
            let (item, items_expr) =
                match (inner_of(data, "Vec"), inner_of(data, "Option").and_then(|t| inner_of(t, "Vec"))) {
                    (Some(item), _) => (item, quote!(self.data)),
                    (None, Some(item)) => (item, quote!(self.data.unwrap_or_default())),
                    _ => return Err(syntax(&op.operation_id, format!("paginated, but {out_name}.data is not a list"))),
                };
            // A page schema without `meta` (an operation that takes a
            // `pageKey` but whose answer, per the spec, carries no links)
            // streams its one page: there is no typed link to follow.
            let next_expr = match meta {
                Some(meta) if inner_of(meta, "Option").is_some() => quote!(self.meta.and_then(|meta| meta.next)),
                Some(_) => quote!(self.meta.next),
                None => quote!(::std::option::Option::None),
            };
            let item = types.qualify(item);
            let out_ty = types.qualify(&syn::parse_str::<syn::Type>(out_name).map_err(|e| syntax(out_name, e))?);
            page_impls.entry(out_name.clone()).or_insert_with(|| {
                quote! {
                    impl crate::runtime::PageBody for #out_ty {
                        type Item = #item;
                        fn into_parts(self) -> (::std::vec::Vec<#item>, ::std::option::Option<::std::string::String>) {
                            (#items_expr, #next_expr)
                        }
                    }
                }
            });
            quote! {
                impl<'a, C: crate::runtime::Runtime> crate::runtime::Paginated for #name<'a, C> {
                    type Runtime = C;
                    type Page = #out_ty;
                    fn runtime(&self) -> &C {
                        self.__client
                    }
                    fn first_request(&self) -> ::std::result::Result<crate::runtime::Request, crate::runtime::RequestError> {
                        self.request()
                    }
                }
            }
        } else {
            quote!()
        };

        let bulk_impl = match (&call.bulk, bulk_body(spec, op_json)) {
            (Some(_), Some((_, key, _))) => {
                let (body_ty, _, body_schema_name) =
                    body.as_ref().ok_or_else(|| syntax(&op.operation_id, "bulk without a body"))?;
                let body_fields = types.fields(&normalize::rust_type_name(body_schema_name)).unwrap_or_default();
                let list_field = match &key {
                    Some(k) => body_fields.iter().find(|(f, _)| *f == normalize::snake(k)).or(body_fields.first()),
                    None => body_fields.first(),
                };
                let item = list_field
                    .and_then(|(_, t)| {
                        inner_of(t, "Vec").or_else(|| inner_of(t, "Option").and_then(|t| inner_of(t, "Vec")))
                    })
                    .map(|t| types.qualify(t))
                    .ok_or_else(|| syntax(&op.operation_id, format!("bulk body {} holds no list", quote!(#body_ty))))?;
                let key_expr = match &key {
                    Some(k) => quote!(::std::option::Option::Some(#k)),
                    None => quote!(::std::option::Option::None),
                };
                let (success, failure, outcomes) = match &output_name {
                    None => (
                        quote!(#item),
                        quote!(crate::runtime::NoFailure),
                        quote! { sent.iter().cloned().map(crate::runtime::BulkItemOutcome::Success).collect() },
                    ),
                    Some((out_name, fields)) => {
                        let data = fields.iter().find(|(f, _)| f == "data").map(|(_, t)| t);
                        let (union_ty, list) = match data
                            .map(|d| (inner_of(d, "Vec"), inner_of(d, "Option").and_then(|t| inner_of(t, "Vec"))))
                        {
                            Some((Some(u), _)) => (u, quote!(answer.data)),
                            Some((None, Some(u))) => (u, quote!(answer.data.unwrap_or_default())),
                            _ => {
                                return Err(syntax(
                                    &op.operation_id,
                                    format!("bulk, but {out_name}.data is not a list of outcomes"),
                                ))
                            }
                        };
                        let union_name = match union_ty {
                            syn::Type::Path(p) => {
                                p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
                            }
                            _ => String::new(),
                        };
                        let union =
                            normalized.custom.unions.iter().find(|u| u.rust_name == union_name).ok_or_else(|| {
                                syntax(&op.operation_id, format!("bulk, but {union_name} is not an outcome union"))
                            })?;
                        let success_v = union.variants.iter().find(|v| v.tag == "BulkActionSuccess");
                        let failure_v = union.variants.iter().find(|v| v.tag == "BulkActionFailure");
                        let (Some(sv), Some(fv)) = (success_v, failure_v) else {
                            return Err(syntax(
                                &op.operation_id,
                                format!("bulk, but {union_name} has no BulkActionSuccess/BulkActionFailure"),
                            ));
                        };
                        let field_ty = |payload: &str, field: &str| {
                            types
                                .fields(payload)
                                .and_then(|fs| fs.into_iter().find(|(f, _)| f == field).map(|(_, t)| types.qualify(&t)))
                                .ok_or_else(|| syntax(&op.operation_id, format!("{payload} has no `{field}`")))
                        };
                        let s_ty = field_ty(&sv.payload, "data")?;
                        let f_ty = field_ty(&fv.payload, "error")?;
                        let union_path = types.qualify(union_ty);
                        let (sn, fnm) = (ident(&sv.rust_name), ident(&fv.rust_name));
                        let unknown = if union.open {
                            quote! { #union_path::Unknown(unknown) => crate::runtime::BulkItemOutcome::Unknown(unknown), }
                        } else {
                            quote!()
                        };
                        (
                            quote!(#s_ty),
                            quote!(#f_ty),
                            quote! {
                                let _ = sent;
                                #list
                                    .into_iter()
                                    .map(|outcome| match outcome {
                                        #union_path::#sn(success) => crate::runtime::BulkItemOutcome::Success(success.data),
                                        #union_path::#fnm(failure) => crate::runtime::BulkItemOutcome::Failure(failure.error),
                                        #unknown
                                    })
                                    .collect()
                            },
                        )
                    }
                };
                quote! {
                    impl<'a, C: crate::runtime::Runtime> crate::runtime::Bulk for #name<'a, C> {
                        type Runtime = C;
                        type Item = #item;
                        type Answer = #decode;
                        type Success = #success;
                        type Failure = #failure;
                        fn runtime(&self) -> &C {
                            self.__client
                        }
                        fn limit(&self) -> crate::runtime::BulkLimit {
                            match crate::OPERATIONS[#index].bulk {
                                ::std::option::Option::Some(limit) => limit,
                                // The table marks every operation this impl is generated for.
                                ::std::option::Option::None => crate::runtime::BulkLimit::new(#UNDOCUMENTED_BULK_LIMIT, crate::runtime::LimitSource::ProjectDefault),
                            }
                        }
                        fn chunk_request(&self, items: &[#item]) -> ::std::result::Result<crate::runtime::Request, crate::runtime::RequestError> {
                            self.build(::std::option::Option::Some(crate::runtime::bulk_body(#key_expr, items)?))
                        }
                        #[allow(unused_variables)]
                        fn outcomes(answer: #decode, sent: &[#item]) -> ::std::vec::Vec<crate::runtime::BulkItemOutcome<#success, #failure>> {
                            #outcomes
                        }
                    }
                }
            }
            _ => quote!(),
        };

        let (build_body_param, body_select) = if body.is_some() {
            // A bulk chunk replaces the builder's body, so a missing body is
            // only an error when no chunk is given.
            (
                quote!(__body_override),
                quote! {
                    let __body = match __body_override {
                        ::std::option::Option::Some(chunk) => ::std::option::Option::Some(chunk),
                        ::std::option::Option::None => { #body_value __body }
                    };
                },
            )
        } else {
            (quote!(_body_override), body_value)
        };

        builders.push(quote! {
            #[doc = #builder_doc]
            #[must_use = "a builder does nothing until `.send().await`"]
            pub struct #name<'a, C> {
                __client: &'a C,
                #( #fields: ::std::option::Option<#field_tys>, )*
                #body_field
            }

            impl<'a, C> ::std::clone::Clone for #name<'a, C> {
                fn clone(&self) -> Self {
                    Self { __client: self.__client, #( #fields: self.#fields.clone(), )* #body_clone }
                }
            }

            impl<'a, C> ::std::fmt::Debug for #name<'a, C> {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(stringify!(#name)) #( .field(stringify!(#fields), &self.#fields) )* .finish_non_exhaustive()
                }
            }

            impl<'a, C: crate::runtime::Runtime> #name<'a, C> {
                /// A builder on `client` with nothing set.
                pub fn new(client: &'a C) -> Self {
                    Self { __client: client, #( #fields: ::std::option::Option::None, )* #body_field_init }
                }

                #( #setters )*
                #body_setter

                /// The request this builder describes: fails, sending
                /// nothing, on a missing required parameter or a path
                /// parameter that would change the path (`""`, `.`, `..`).
                pub fn request(&self) -> ::std::result::Result<crate::runtime::Request, crate::runtime::RequestError> {
                    self.build(::std::option::Option::None)
                }

                #[allow(unused_mut, clippy::useless_format)]
                fn build(&self, #build_body_param: ::std::option::Option<::serde_json::Value>) -> ::std::result::Result<crate::runtime::Request, crate::runtime::RequestError> {
                    #( #required_checks )*
                    let __path = format!(#fmt #(, #segs)*);
                    let mut __query: ::std::vec::Vec<(&'static str, ::std::string::String)> = ::std::vec::Vec::with_capacity(#query_len);
                    #( #query_pushes )*
                    #body_select
                    ::std::result::Result::Ok(crate::runtime::Request::new(&crate::OPERATIONS[#index], __path, __query, __body)#with_raw)
                }

                // Not `async fn`s: the futures are the runtime's generic
                // ones, so the compiler builds no state machine per operation.
                #[doc = #send_doc]
                pub fn send(self) -> impl ::std::future::Future<Output = ::std::result::Result<#resource, C::Error>> + ::std::marker::Send + 'a {
                    crate::runtime::send::<C, #decode, #resource>(self.__client, self.request(), #into)
                }

                /// Sends the request and returns the whole decoded answer
                /// with its status and headers.
                pub fn send_with_response(self) -> impl ::std::future::Future<Output = ::std::result::Result<crate::runtime::Response<#decode>, C::Error>> + ::std::marker::Send + 'a {
                    crate::runtime::send_with_response::<C, #decode>(self.__client, self.request())
                }
            }

            #paginated_impl
            #bulk_impl
        });
    }
    let page_impls = page_impls.values();
    Ok(quote! {
        /// One builder per operation; see the crate docs for the call shape.
        pub mod builder {
            #[allow(unused_imports)]
            use super::types;

            #( #builders )*
            #( #page_impls )*
        }

        /// Adds one method per operation to a [`runtime::Runtime`] type,
        /// each returning that operation's [`builder`]. Invoked once by
        /// `dixa-client-ext` for its client.
        #[macro_export]
        #[doc(hidden)]
        macro_rules! impl_operations {
            ($client:ty) => {
                impl $client {
                    #( #constructors )*
                }
            };
        }
    })
}
