//! The Payzero back-office calls: order batches, createAndPay/arrangePay, orders paid elsewhere
//! pushed for declaration, the real-name check and customs declaration. Requests and results use
//! Payzero's own types and field names (`checkout_shared::payzero`).

use crate::{Client, Error, segment};
use checkout_shared::backoffice::RealNameCheck;
use checkout_shared::payzero::{
    BatchSummary, CreateAndPayResponse, DeclareRequest, FeedbackPage, MockpayResponse, Order,
    OrderBatchResponse, RealPersonResponse,
};
use serde::Deserialize;

/// The answer of calls Payzero answers with a sentence (batch pay, arrangePay, declare).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// Payzero's sentence (often empty).
    #[serde(default)]
    pub message: String,
}

impl Client {
    /// `POST /v1/payzero/real-name-checks` (§7.1): does the name go with the ID number?
    pub async fn payzero_real_name_check(&self, check: &RealNameCheck) -> Result<RealPersonResponse, Error> {
        self.post("/v1/payzero/real-name-checks", check).await
    }

    /// `POST /v1/payzero/batches` (§2.1): uploads a batch of orders (at most 2000).
    pub async fn payzero_upload_batch(&self, orders: &[Order]) -> Result<OrderBatchResponse, Error> {
        self.post("/v1/payzero/batches", &orders).await
    }

    /// `POST /v1/payzero/batches/{id}/pay` (§2.2): pays (and declares) the batch's orders.
    pub async fn payzero_pay_batch(&self, batch_id: &str) -> Result<Accepted, Error> {
        self.post(&format!("/v1/payzero/batches/{}/pay", segment(batch_id)), &serde_json::json!({})).await
    }

    /// `GET /v1/payzero/batches/{id}` (§2.3): payment and declaration counts.
    pub async fn payzero_batch_summary(&self, batch_id: &str) -> Result<BatchSummary, Error> {
        self.get(&format!("/v1/payzero/batches/{}", segment(batch_id))).await
    }

    /// `GET /v1/payzero/batches/{id}/feedback?page=&pagesize=` (§2.5): page `page` (from 1) of
    /// the batch's orders, `pagesize` (1–100) a page.
    pub async fn payzero_batch_feedback(
        &self,
        batch_id: &str,
        page: u32,
        pagesize: u32,
    ) -> Result<FeedbackPage, Error> {
        self.get(&format!(
            "/v1/payzero/batches/{}/feedback?page={page}&pagesize={pagesize}",
            segment(batch_id)
        ))
        .await
    }

    /// `POST /v1/payzero/orders` (§2.6 createAndPay): one order, paid automatically.
    pub async fn payzero_create_and_pay(&self, order: &Order) -> Result<CreateAndPayResponse, Error> {
        self.post("/v1/payzero/orders", order).await
    }

    /// `POST /v1/payzero/orders/{no}/arrange-pay` (§2.7): arranges its payment again.
    pub async fn payzero_arrange_pay(&self, order_no: &str) -> Result<Accepted, Error> {
        self.post(&format!("/v1/payzero/orders/{}/arrange-pay", segment(order_no)), &serde_json::json!({}))
            .await
    }

    /// `POST /v1/payzero/mock-orders` (§6.1 createAndMockpay): an order paid elsewhere, pushed
    /// for declaration.
    pub async fn payzero_create_mockpay(&self, order: &Order) -> Result<MockpayResponse, Error> {
        self.post("/v1/payzero/mock-orders", order).await
    }

    /// `POST /v1/payzero/mock-orders/{no}/redo` (§6.2 redoMockpay).
    pub async fn payzero_redo_mockpay(&self, order_no: &str) -> Result<MockpayResponse, Error> {
        self.post(&format!("/v1/payzero/mock-orders/{}/redo", segment(order_no)), &serde_json::json!({}))
            .await
    }

    /// `POST /v1/payzero/declarations` (§8.1): (re)declares a paid order to customs.
    pub async fn payzero_declare(&self, declaration: &DeclareRequest) -> Result<Accepted, Error> {
        self.post("/v1/payzero/declarations", declaration).await
    }
}
