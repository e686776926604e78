//! The pure model: names, addresses, the mesh, MTU, quotas and the spec.
//! No clocks, files or sockets here.

/// `FromStr` and `as_str` (and with `display`, `Display`) for an enum of plain words; a word
/// that is none of them is refused naming `key` and every word it takes.
macro_rules! words {
    ($ty:ident, $key:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order its words are listed.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::error::Error;

            fn from_str(text: &str) -> crate::error::Result<$ty> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| {
                        let words: Vec<&str> = $ty::ALL.iter().map(|v| v.as_str()).collect();
                        let (last, rest) = words.split_last().unwrap_or((&"", &[]));
                        let expected = if rest.is_empty() {
                            (*last).to_owned()
                        } else {
                            format!("{} or {last}", rest.join(", "))
                        };
                        crate::error::Error::invalid(format!(
                            "{} {text:?} is not valid: expected {expected}",
                            $key
                        ))
                    })
            }
        }

    };
    ($ty:ident, $key:literal, { $($variant:ident => $word:literal),+ $(,)? }, display) => {
        crate::model::words!($ty, $key, { $($variant => $word),+ });

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use words;

pub mod addr;
pub mod members;
pub mod mesh;
pub mod mtu;
pub mod name;
pub mod node;
pub mod platform;
pub mod quota;
pub mod spec;
pub mod wgkey;
