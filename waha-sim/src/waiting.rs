//! Waits on the simulator's memory: until records appear, a session
//! reaches a status, or an event is delivered; woken by every change, never
//! polling.

use std::time::Duration;

use super::SimError;
use super::state::{Memory, SentRecord, SessionStatus, Shared};
use super::webhook_types::DeliveryRecord;

impl Shared {
    /// Waits until `chat_id` has received `count` text or image messages;
    /// returns how many it has.
    pub(super) async fn wait_for_messages_to(
        &self,
        chat_id: &str,
        count: usize,
        timeout: Duration,
    ) -> usize {
        self.wait_until(timeout, |memory| {
            let sent = memory.messages_per_chat.get(chat_id).copied().unwrap_or(0);
            (sent >= count, sent)
        })
        .await
    }

    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Memory) -> (bool, T),
    ) -> T {
        let mut changes = self.changes.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (done, value) = probe(&self.memory());
            if done {
                return value;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return probe(&self.memory()).1;
            }
        }
    }

    pub(super) async fn wait_for_sent(
        &self,
        filter: impl Fn(&SentRecord) -> bool,
        count: usize,
        timeout: Duration,
    ) -> Vec<SentRecord> {
        self.wait_until(timeout, |memory| {
            let matching: Vec<_> = memory.sent.iter().filter(|r| filter(r)).cloned().collect();
            (matching.len() >= count, matching)
        })
        .await
    }

    pub(super) async fn wait_for_status(
        &self,
        name: &str,
        wanted: SessionStatus,
        timeout: Duration,
    ) -> Option<SessionStatus> {
        self.wait_until(timeout, |memory| {
            let status = memory.sessions.get(name).map(|s| s.status);
            (status == Some(wanted), status)
        })
        .await
    }

    /// The first 2xx delivery of the event whose payload id is `payload_id`.
    pub(super) async fn wait_for_delivered(
        &self,
        payload_id: &str,
        timeout: Duration,
    ) -> Option<DeliveryRecord> {
        self.wait_until(timeout, |memory| {
            let found = memory.delivered.get(payload_id).cloned();
            (found.is_some(), found)
        })
        .await
    }

    pub(super) async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<DeliveryRecord> {
        self.wait_until(timeout, |memory| {
            (memory.deliveries.len() >= count, memory.deliveries.clone())
        })
        .await
    }

    /// Waits up to `not_working_wait` for the session to be `WORKING`, as WAHA
    /// does before answering 422.
    pub(super) async fn await_working(&self, name: &str) -> Result<(), SimError> {
        let wait = self.config.not_working_wait;
        let status = self
            .wait_until(wait, |memory| {
                let status = memory.sessions.get(name).map(|s| s.status);
                (
                    status != Some(SessionStatus::Starting)
                        && status != Some(SessionStatus::ScanQrCode),
                    status,
                )
            })
            .await;
        match status {
            None => Err(SimError::SessionNotFound),
            Some(SessionStatus::Working) => Ok(()),
            Some(status) => Err(SimError::WrongStatus {
                session: name.to_owned(),
                status,
                expected: vec![SessionStatus::Working],
            }),
        }
    }
}
