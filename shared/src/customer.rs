//! A merchant customer's saved bank cards: the Payzero agreement (`agreeid`, the only card token
//! kept) with the masked forms the shopper recognises it by. One Durable Object per customer
//! holds a `CustomerCards`; this is its whole logic.

use crate::api::SavedCard;
use serde::{Deserialize, Serialize};
use std::fmt;

/// At most this many cards per customer; signing one more forgets the oldest.
pub const MAX_CARDS: usize = 10;

/// A signed card: what the shopper sees (masked) and the agreement to pay with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCard {
    pub card: SavedCard,
    /// Payzero's agreement id. Not a card number, but it pays: never shown to a browser.
    pub agreeid: String,
    /// The keyed hash of the card's mobile number, for the per-phone SMS limit and the phone
    /// lock of a session.
    pub phone_tag: String,
    /// Unix seconds.
    pub added_at: u64,
}

impl fmt::Debug for StoredCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoredCard({} {})", self.card.id, self.card.number)
    }
}

/// What the customer object is asked to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CustomerRequest {
    List,
    /// The card with `id`, agreement included (for paying with it).
    Get {
        id: String,
    },
    Save {
        card: StoredCard,
    },
    Forget {
        id: String,
    },
}

/// One customer's cards, newest last.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCards {
    pub cards: Vec<StoredCard>,
}

impl CustomerCards {
    /// Keeps `card`; the same agreement signed again replaces its older entry, and beyond
    /// `MAX_CARDS` the oldest is forgotten.
    pub fn save(&mut self, card: StoredCard) {
        self.cards.retain(|c| c.agreeid != card.agreeid && c.card.id != card.card.id);
        self.cards.push(card);
        let excess = self.cards.len().saturating_sub(MAX_CARDS);
        self.cards.drain(..excess);
    }

    /// Forgets the card `id`; whether there was one.
    pub fn forget(&mut self, id: &str) -> bool {
        let before = self.cards.len();
        self.cards.retain(|c| c.card.id != id);
        self.cards.len() != before
    }

    pub fn get(&self, id: &str) -> Option<&StoredCard> {
        self.cards.iter().find(|c| c.card.id == id)
    }

    /// The cards as a shopper or the merchant sees them: masked, newest first.
    pub fn list(&self) -> Vec<SavedCard> {
        self.cards.iter().rev().map(|c| c.card.clone()).collect()
    }
}

/// Whether `customer` is an acceptable customer id: like `merchant_order_no`, 1 to 64 visible
/// characters; here also no `/`, `?` or `#`, since it appears in a URL path.
pub fn is_customer_id(customer: &str) -> bool {
    (1..=64).contains(&customer.chars().count())
        && customer.trim() == customer
        && !customer
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '?' | '#' | '%'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CardType;

    fn card(id: &str, agreeid: &str) -> StoredCard {
        StoredCard {
            card: SavedCard {
                id: id.into(),
                bank_code: "999".into(),
                bank_name: None,
                number: "6217 **** **** 0000".into(),
                card_type: CardType::Debit,
                phone: "138****8000".into(),
            },
            agreeid: agreeid.into(),
            phone_tag: "t".into(),
            added_at: 1,
        }
    }

    #[test]
    fn cards_are_saved_replaced_capped_and_forgotten() {
        let mut cards = CustomerCards::default();
        cards.save(card("card_a", "A1"));
        cards.save(card("card_b", "B1"));
        cards.save(card("card_c", "A1"));
        assert_eq!(cards.list().iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["card_c", "card_b"]);
        for i in 0..MAX_CARDS {
            cards.save(card(&format!("card_{i}"), &format!("X{i}")));
        }
        assert_eq!(cards.cards.len(), MAX_CARDS);
        assert!(cards.get("card_b").is_none(), "the oldest went first");
        assert!(cards.forget("card_3"));
        assert!(!cards.forget("card_3"));
        assert!(!format!("{:?}", cards.get("card_4").map(|c| c.agreeid.clone())).is_empty());
        assert!(!format!("{:?}", card("card_z", "SECRET-AGREEMENT")).contains("SECRET-AGREEMENT"));
    }

    #[test]
    fn customer_ids() {
        assert!(is_customer_id("cus_42"));
        assert!(is_customer_id("张三-001"));
        assert!(!is_customer_id(""));
        assert!(!is_customer_id("a/b"));
        assert!(!is_customer_id(" a"));
        assert!(!is_customer_id(&"x".repeat(65)));
    }
}
