//! Checkout sessions: create, read, find by the shop's order number, cancel, their events and
//! the ones given up across sessions; a customer's saved cards; the Shouqianba terminal's key
//! rotation.

use crate::{Client, Error, segment};
use checkout_shared::api::{
    CreateSessionRequest, CustomerCards, EventDelivery, EventList, SessionCreated, SessionList,
};
use checkout_shared::terminal::CheckInInfo;
use checkout_shared::undelivered::UndeliveredList;

impl Client {
    /// `POST /v1/sessions`: a checkout session for one order. The answer's `url` is the hosted
    /// page; its `client_secret` is what the browser widget (or `checkout.js`) needs.
    pub async fn create_session(&self, request: &CreateSessionRequest) -> Result<SessionCreated, Error> {
        self.post("/v1/sessions", request).await
    }

    /// `GET /v1/sessions/{id}`.
    pub async fn get_session(&self, id: &str) -> Result<SessionCreated, Error> {
        self.get(&format!("/v1/sessions/{}", segment(id))).await
    }

    /// `GET /v1/sessions?merchant_order_no=…`: the sessions made for one shop order, newest
    /// first — how a shop that lost a session id (a crash after creating it) finds it again.
    pub async fn find_sessions(&self, merchant_order_no: &str) -> Result<Vec<SessionCreated>, Error> {
        let list: SessionList =
            self.get(&format!("/v1/sessions?merchant_order_no={}", segment(merchant_order_no))).await?;
        Ok(list.data)
    }

    /// `POST /v1/sessions/{id}/cancel`: closes an open session (after asking the gateways
    /// whether the shopper paid at the last moment: the answer may say `paid`).
    pub async fn cancel_session(&self, id: &str) -> Result<SessionCreated, Error> {
        self.post(&format!("/v1/sessions/{}/cancel", segment(id)), &serde_json::json!({})).await
    }

    /// `GET /v1/sessions/{id}/events`: the session's events and their delivery, oldest first.
    pub async fn session_events(&self, id: &str) -> Result<Vec<EventDelivery>, Error> {
        let list: EventList = self.get(&format!("/v1/sessions/{}/events", segment(id))).await?;
        Ok(list.data)
    }

    /// `GET /v1/events?delivered=false&limit=N`: the events given up after their last retry,
    /// across every session, oldest first (`limit` 1 to 100). Resend each with
    /// [`Client::resend_event`]; once delivered it leaves the list.
    pub async fn undelivered_events(&self, limit: u32) -> Result<UndeliveredList, Error> {
        self.get(&format!("/v1/events?delivered=false&limit={limit}")).await
    }

    /// The page of [`Client::undelivered_events`] after `cursor` (the `next_cursor` of the page
    /// before), so events behind ones that still fail are reached without resending those.
    pub async fn undelivered_events_after(&self, limit: u32, cursor: &str) -> Result<UndeliveredList, Error> {
        self.get(&format!("/v1/events?delivered=false&limit={limit}&cursor={}", segment(cursor))).await
    }

    /// `POST /v1/sessions/{id}/events/{event_id}/resend`: delivers an event again now (one given
    /// up after its last retry, say, once your endpoint is back).
    pub async fn resend_event(&self, id: &str, event_id: &str) -> Result<EventDelivery, Error> {
        self.post(
            &format!("/v1/sessions/{}/events/{}/resend", segment(id), segment(event_id)),
            &serde_json::json!({}),
        )
        .await
    }

    /// `GET /v1/customers/{customer}/cards`: the bank cards a customer saved (masked).
    pub async fn customer_cards(&self, customer: &str) -> Result<CustomerCards, Error> {
        self.get(&format!("/v1/customers/{}/cards", segment(customer))).await
    }

    /// `DELETE /v1/customers/{customer}/cards/{card_id}`: forgets a saved card.
    pub async fn forget_card(&self, customer: &str, card_id: &str) -> Result<(), Error> {
        self.delete(&format!("/v1/customers/{}/cards/{}", segment(customer), segment(card_id))).await
    }
}

impl Client {
    /// `POST /v1/shouqianba/terminal/checkin`: rotates the Shouqianba terminal's key now (the edge
    /// also does it by itself each China calendar day). The answer never holds the key.
    pub async fn checkin_shouqianba_terminal(&self) -> Result<CheckInInfo, Error> {
        self.post("/v1/shouqianba/terminal/checkin", &serde_json::json!({})).await
    }
}
