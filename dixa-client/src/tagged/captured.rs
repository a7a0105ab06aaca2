//! Union members that arrive before `_type`, held until the tag says which
//! struct they belong to, then replayed into it.
//!
//! They are kept in one flat arena per union object (a `Vec` of [`Node`]s in
//! document order) whose strings borrow from the input when the deserializer
//! lends them (`serde_json::from_slice` / `from_str`): capturing a member
//! allocates nothing beyond the arena itself, where a `serde_json::Value`
//! tree allocates every string, array and object. Replaying walks the arena
//! with [`Replay`], a deserializer that also remembers which node an error
//! came from, so the member's JSON path is rebuilt only when something
//! fails ([`path_within`]).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value (or object key) of a captured member. Arrays and objects
/// are followed by their children (an object's as key, value, key, ...) and
/// record where they end, so a reader can step over them in O(1).
#[derive(Debug, Clone)]
pub(super) enum Node<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Seq { len: usize, end: usize },
    Map { len: usize, end: usize },
}

/// The index just past the value that starts at `at`.
pub(super) fn end_of(nodes: &[Node<'_>], at: usize) -> usize {
    match nodes[at] {
        Node::Seq { end, .. } | Node::Map { end, .. } => end,
        _ => at + 1,
    }
}

/// Arenas kept for reuse on this thread, so that a page of unions with
/// `_type` last allocates its arenas once, not once per union object.
/// A few, because unions nest (a conversation's `link`, a message's content).
const SPARE_ARENAS: usize = 4;

/// Room for the members of a typical union object before `_type` (a
/// conversation with its queue, assignment and custom attributes).
const ARENA_CAPACITY: usize = 128;

thread_local! {
    static SPARES: std::cell::RefCell<Vec<Vec<Node<'static>>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty arena, reused from this thread's spares when there is one.
pub(super) fn take_arena<'de>() -> Vec<Node<'de>> {
    let spare = SPARES.with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()));
    match spare {
        // An empty vector changes lifetime without touching its buffer
        // (an in-place collect: same element layout).
        Some(spare) => spare.into_iter().map(|_| unreachable!("spares are empty")).collect(),
        None => Vec::with_capacity(ARENA_CAPACITY),
    }
}

/// Gives an arena back for reuse (dropped when enough are kept, or when it
/// grew unusually large).
pub(super) fn give_back(mut arena: Vec<Node<'_>>) {
    arena.clear();
    if arena.capacity() > 16 * ARENA_CAPACITY {
        return;
    }
    let spare: Vec<Node<'static>> = arena.into_iter().map(|_| unreachable!("cleared")).collect();
    SPARES.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < SPARE_ARENAS {
                s.push(spare);
            }
        }
    });
}

/// Appends the next value of a deserializer to the arena.
pub(super) struct Capture<'a, 'de>(pub(super) &'a mut Vec<Node<'de>>);

impl<'de> DeserializeSeed<'de> for Capture<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Capture<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push(Node::Bool(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.push(Node::I64(v));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.0.push(Node::U64(v));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push(Node::F64(v));
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.0.push(Node::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push(Node::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.0.push(Node::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push(Node::Null);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.0.len();
        self.0.push(Node::Seq { len: 0, end: 0 });
        let mut len = 0;
        while seq.next_element_seed(Capture(&mut *self.0))?.is_some() {
            len += 1;
        }
        let end = self.0.len();
        self.0[at] = Node::Seq { len, end };
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.0.len();
        self.0.push(Node::Map { len: 0, end: 0 });
        let mut len = 0;
        while map.next_key_seed(Capture(&mut *self.0))?.is_some() {
            map.next_value_seed(Capture(&mut *self.0))?;
            len += 1;
        }
        let end = self.0.len();
        self.0[at] = Node::Map { len, end };
        Ok(())
    }
}

/// A deserializer over the value at `at` in the arena. Every error it (or a
/// visitor it drives) raises records the node it came from in `failed`,
/// innermost first, for [`path_within`].
pub(super) struct Replay<'a, 'de, E> {
    pub(super) nodes: &'a [Node<'de>],
    pub(super) at: usize,
    pub(super) failed: &'a Cell<Option<usize>>,
    pub(super) error: PhantomData<E>,
}

impl<'a, 'de, E> Replay<'a, 'de, E> {
    pub(super) fn new(nodes: &'a [Node<'de>], at: usize, failed: &'a Cell<Option<usize>>) -> Self {
        Replay { nodes, at, failed, error: PhantomData }
    }

    fn record<T>(&self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() && self.failed.get().is_none() {
            self.failed.set(Some(self.at));
        }
        result
    }

    fn children(&self) -> Children<'a, 'de, E> {
        let (len, end) = match self.nodes[self.at] {
            Node::Seq { len, end } | Node::Map { len, end } => (len, end),
            _ => (0, self.at + 1),
        };
        Children {
            nodes: self.nodes,
            next: self.at + 1,
            end,
            left: len,
            value: 0,
            failed: self.failed,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for Replay<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        let result = match &self.nodes[self.at] {
            Node::Null => visitor.visit_unit(),
            Node::Bool(v) => visitor.visit_bool(*v),
            Node::U64(v) => visitor.visit_u64(*v),
            Node::I64(v) => visitor.visit_i64(*v),
            Node::F64(v) => visitor.visit_f64(*v),
            Node::Str(Cow::Borrowed(v)) => visitor.visit_borrowed_str(v),
            Node::Str(Cow::Owned(v)) => visitor.visit_str(v),
            Node::Seq { .. } => {
                let mut seq = self.children();
                visitor.visit_seq(&mut seq).and_then(|v| seq.finish().map(|()| v))
            }
            Node::Map { .. } => {
                let mut map = self.children();
                visitor.visit_map(&mut map).and_then(|v| map.finish().map(|()| v))
            }
        };
        self.record(result)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.nodes[self.at] {
            Node::Null => {
                let result = visitor.visit_none();
                self.record(result)
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        // As serde_json reads enums: a unit variant is a string.
        let result = match &self.nodes[self.at] {
            Node::Str(Cow::Borrowed(v)) => visitor.visit_enum(de::value::BorrowedStrDeserializer::new(v)),
            Node::Str(Cow::Owned(v)) => visitor.visit_enum(de::value::StrDeserializer::new(v)),
            _ => return self.deserialize_any(visitor),
        };
        self.record(result)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The elements of an array, or the members of an object, in the arena.
struct Children<'a, 'de, E> {
    nodes: &'a [Node<'de>],
    next: usize,
    end: usize,
    left: usize,
    /// The index of the value whose key was just handed out.
    value: usize,
    failed: &'a Cell<Option<usize>>,
    error: PhantomData<E>,
}

impl<E: de::Error> Children<'_, '_, E> {
    /// Fails when the visitor stopped before the end, as serde_json does
    /// for a sequence with elements left over.
    fn finish(&self) -> Result<(), E> {
        match self.left {
            0 => Ok(()),
            _ => Err(de::Error::invalid_length(self.left, &"fewer elements")),
        }
    }
}

impl<'de, E: de::Error> SeqAccess<'de> for Children<'_, 'de, E> {
    type Error = E;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, E> {
        if self.next >= self.end {
            return Ok(None);
        }
        let at = self.next;
        self.next = end_of(self.nodes, at);
        self.left -= 1;
        seed.deserialize(Replay::new(self.nodes, at, self.failed)).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de, E: de::Error> MapAccess<'de> for Children<'_, 'de, E> {
    type Error = E;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if self.next >= self.end {
            return Ok(None);
        }
        let key = self.next;
        self.value = key + 1;
        self.next = end_of(self.nodes, self.value);
        self.left -= 1;
        seed.deserialize(Replay::new(self.nodes, key, self.failed)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        seed.deserialize(Replay::new(self.nodes, self.value, self.failed))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The JSON path from the value at `root` down to the node `failed` inside
/// it, written as `serde_path_to_error` writes paths (`from.email`,
/// `to[0].email`; empty when `failed` is `root` itself). An error on an
/// object key is reported at the object, as `serde_path_to_error` does.
pub(super) fn path_within(nodes: &[Node<'_>], root: usize, failed: usize) -> String {
    let mut path = String::new();
    let mut at = root;
    while at != failed {
        let mut child = at + 1;
        let end = end_of(nodes, at);
        let mut index = 0;
        let mut found = false;
        while child < end {
            match nodes[at] {
                Node::Map { .. } => {
                    let value = child + 1;
                    let next = end_of(nodes, value);
                    if (value..next).contains(&failed) {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        if let Node::Str(key) = &nodes[child] {
                            path.push_str(key);
                        }
                        at = value;
                        found = true;
                        break;
                    }
                    child = next;
                }
                _ => {
                    let next = end_of(nodes, child);
                    if (child..next).contains(&failed) {
                        path.push_str(&format!("[{index}]"));
                        at = child;
                        found = true;
                        break;
                    }
                    child = next;
                    index += 1;
                }
            }
        }
        if !found {
            // An object key, or a node outside `root`: report where we are.
            break;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn capture(text: &str) -> Vec<Node<'_>> {
        let mut nodes = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        Capture(&mut nodes).deserialize(&mut de).unwrap();
        nodes
    }

    #[test]
    fn a_captured_value_replays_to_the_same_json() {
        let text = r#"{"a":[1,-2,3.5,"x\"y",null,true,{}],"b":{"c":[]},"d":"plain"}"#;
        let nodes = capture(text);
        let failed = Cell::new(None);
        let back = <Value as serde::Deserialize>::deserialize(Replay::<serde_json::Error>::new(&nodes, 0, &failed));
        assert_eq!(back.unwrap(), serde_json::from_str::<Value>(text).unwrap());
        // Unescaped strings borrow from the input; escaped ones cannot.
        assert!(nodes.iter().any(|n| matches!(n, Node::Str(Cow::Borrowed("plain")))));
        assert!(nodes.iter().any(|n| matches!(n, Node::Str(Cow::Owned(s)) if s == "x\"y")));
    }

    #[test]
    fn a_failure_is_located_by_its_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            to: Vec<Inner>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            email: String,
        }
        let text = json!({ "to": [{ "email": "a" }, { "email": 5 }] }).to_string();
        let nodes = capture(&text);
        let failed = Cell::new(None);
        let err = <Outer as serde::Deserialize>::deserialize(Replay::<serde_json::Error>::new(&nodes, 0, &failed))
            .unwrap_err();
        assert!(err.to_string().starts_with("invalid type: integer `5`"), "{err}");
        assert_eq!(path_within(&nodes, 0, failed.get().unwrap()), "to[1].email");

        let text = json!({ "to": [{ "mail": "a" }] }).to_string();
        let nodes = capture(&text);
        let failed = Cell::new(None);
        let err = <Outer as serde::Deserialize>::deserialize(Replay::<serde_json::Error>::new(&nodes, 0, &failed))
            .unwrap_err();
        assert!(err.to_string().contains("missing field `email`"), "{err}");
        assert_eq!(path_within(&nodes, 0, failed.get().unwrap()), "to[0]");
    }
}
