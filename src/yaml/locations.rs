//! Where each field was written: a compact tree of positions shaped like the
//! document (one entry per mapping key and sequence item, no path strings),
//! looked up by a field path such as `spec.containers[0].image`.

use super::Position;
use super::tree::{Kind, Node};

/// Where each field path was written in the source text.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    root: Option<Children>,
    /// Lines to count up from every position ([`Locations::relative_to`]),
    /// applied when a position is read rather than to the whole tree.
    up: usize,
}

#[derive(Debug, Clone)]
pub(super) enum Children {
    Leaf,
    Sequence(Vec<Located>),
    Mapping(Vec<(Box<str>, Located)>),
}

#[derive(Debug, Clone)]
pub(super) struct Located {
    pub(super) position: Position,
    pub(super) children: Children,
}

impl Locations {
    /// The positions of a document read from `text` in Kubernetes mode; a
    /// text that does not parse yields an empty index.
    pub fn index(text: &str) -> Locations {
        match super::manifests(text).next() {
            Some(Ok(document)) => document.locations,
            _ => Locations::default(),
        }
    }

    /// The positions a writer recorded ([`super::write`]).
    pub(super) fn written(root: Children) -> Locations {
        Locations {
            root: Some(root),
            up: 0,
        }
    }

    pub(super) fn of(node: &Node) -> Locations {
        Locations {
            root: Some(children(node)),
            up: 0,
        }
    }

    /// Moves every position down `lines` lines; positions on the first line
    /// also move right `columns` columns.
    pub(super) fn shift(&mut self, lines: usize, columns: usize) {
        fn walk(children: &mut Children, lines: usize, columns: usize) {
            let each = |located: &mut Located| {
                located.position = shift(located.position, lines, columns);
                walk(&mut located.children, lines, columns);
            };
            match children {
                Children::Leaf => {}
                Children::Sequence(items) => items.iter_mut().for_each(each),
                Children::Mapping(entries) => entries.iter_mut().for_each(|(_, l)| each(l)),
            }
        }
        if lines == 0 && columns == 0 {
            return;
        }
        self.settle();
        if let Some(root) = &mut self.root {
            walk(root, lines, columns);
        }
    }

    /// The same positions with lines counted from `first_line` (which
    /// becomes line 1; earlier lines become 1 too), for callers that add a
    /// document's start line back.
    pub fn relative_to(mut self, first_line: usize) -> Locations {
        self.settle();
        self.up = first_line.saturating_sub(1);
        self
    }

    /// Applies a pending [`Locations::relative_to`] to every position.
    fn settle(&mut self) {
        fn walk(children: &mut Children, up: usize) {
            let each = |located: &mut Located| {
                located.position = lift(located.position, up);
                walk(&mut located.children, up);
            };
            match children {
                Children::Leaf => {}
                Children::Sequence(items) => items.iter_mut().for_each(each),
                Children::Mapping(entries) => entries.iter_mut().for_each(|(_, l)| each(l)),
            }
        }
        if let (Some(root), up @ 1..) = (&mut self.root, self.up) {
            walk(root, up);
        }
        self.up = 0;
    }

    /// Every field's path and position, in document order (for tests that
    /// compare two indexes).
    #[cfg(test)]
    pub(super) fn all(&self) -> Vec<(String, Position)> {
        fn walk(children: &Children, path: &str, up: usize, out: &mut Vec<(String, Position)>) {
            let mut each = |path: String, located: &Located| {
                out.push((path.clone(), lift(located.position, up)));
                walk(&located.children, &path, up, out);
            };
            match children {
                Children::Leaf => {}
                Children::Sequence(items) => {
                    for (index, item) in items.iter().enumerate() {
                        each(format!("{path}[{index}]"), item);
                    }
                }
                Children::Mapping(entries) => {
                    for (key, located) in entries {
                        each(format!("{path}.{key}"), located);
                    }
                }
            }
        }
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            walk(root, "", self.up, &mut out);
        }
        out
    }

    /// The position of `path`, or of its nearest ancestor that was written.
    /// Keys may contain dots (`app.kubernetes.io/name`): the longest key
    /// that matches wins.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut children = self.root.as_ref()?;
        let mut rest = path;
        let mut found = None;
        while !rest.is_empty() {
            let next = match children {
                Children::Leaf => None,
                Children::Sequence(items) => rest
                    .strip_prefix('[')
                    .and_then(|r| r.split_once(']'))
                    .and_then(|(index, after)| {
                        let item = items.get(index.parse::<usize>().ok()?)?;
                        Some((item, after))
                    }),
                Children::Mapping(entries) => {
                    let rest = rest.strip_prefix('.').unwrap_or(rest);
                    entries
                        .iter()
                        .filter(|(key, _)| {
                            rest.strip_prefix(&**key).is_some_and(|after| {
                                after.is_empty() || after.starts_with(['.', '['])
                            })
                        })
                        .max_by_key(|(key, _)| key.len())
                        .map(|(key, located)| (located, &rest[key.len()..]))
                }
            };
            let Some((located, after)) = next else {
                break;
            };
            found = Some(lift(located.position, self.up));
            children = &located.children;
            rest = after;
        }
        found
    }
}

/// `position` with lines counted `up` lines higher, never above line 1.
fn lift(position: Position, up: usize) -> Position {
    Position {
        line: position.line.saturating_sub(up).max(1),
        column: position.column,
    }
}

pub(super) fn shift(position: Position, lines: usize, columns: usize) -> Position {
    Position {
        line: position.line + lines,
        column: if position.line == 1 {
            position.column + columns
        } else {
            position.column
        },
    }
}

fn children(node: &Node) -> Children {
    match &node.kind {
        Kind::Scalar(_) => Children::Leaf,
        Kind::Sequence(items) => Children::Sequence(
            items
                .iter()
                .map(|item| Located {
                    position: item.position,
                    children: children(item),
                })
                .collect(),
        ),
        Kind::Mapping(entries) => Children::Mapping(
            entries
                .iter()
                .map(|entry| {
                    (
                        entry.key.as_str().into(),
                        Located {
                            position: entry.key_position,
                            children: children(&entry.value),
                        },
                    )
                })
                .collect(),
        ),
    }
}
