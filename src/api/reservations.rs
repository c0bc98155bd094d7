//! ReservationService, and the sweep that expires reservations: each step is computed by
//! `domain::reservation` from the reservation as read, then applied through the ledger
//! (`Ledger::step_reservation`) with the reservation as the step leaves it, checked there
//! under lock against the version it was computed from. A step that lost a race is
//! computed again from the reservation as it is now.

use std::time::Duration;

use prost::Message;
use tonic::{Request, Response, Status};

use super::convert::{micros_from_timestamp, require_id};
use super::cursor::{CursorFilters, Cursors, Query, WireFilters};
use super::error::StoreContext;
use super::ledger::{Ledger, ReservationBatch, SubmitError, request_digest, reservation_key};
use super::paging::page_limit;
use super::reservation_wire::{reservation_to_wire, state_from_wire};
use super::{ApiError, caller};
use crate::domain::decide::BatchOutcome;
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::guard::GuardKind;
use crate::domain::id::canonical_id;
use crate::domain::ledger::{ChangeSource, Money};
use crate::domain::refusal::Refusal;
use crate::domain::reservation::{
    self, LineDraft, RESERVATION_EXPIRED, RESERVATION_NOT_HELD, Reservation, ReservationState,
    Step, StepRefusal,
};
use crate::domain::tenant::{Caller, MerchantId};
use crate::domain::validate::{check_idempotency_key, parse_money};
use crate::proto::v1::{self as pb, reservation_service_server::ReservationService};
use crate::store::reservations::ReservationListQuery;
use crate::store::{Store, now_micros};

const WHAT: &str = "reservation";
/// How often a step that lost a race is computed again before the call gives up.
const STEP_ATTEMPTS: usize = 8;

/// Serves ReservationService.
#[derive(Clone, Debug)]
pub struct ReservationApi {
    store: Store,
    ledger: Ledger,
    cursors: Cursors,
}

impl ReservationApi {
    /// A service over `store`, taking its steps through `ledger`, its list cursors signed
    /// by `cursors`.
    pub fn new(store: Store, ledger: Ledger, cursors: Cursors) -> Self {
        ReservationApi {
            store,
            ledger,
            cursors,
        }
    }
}

/// The filters a list cursor carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ReservationFilters {
    state: Option<String>,
    reference_id: Option<String>,
}

impl CursorFilters for ReservationFilters {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            status: self.state.clone(),
            reference_id: self.reference_id.clone(),
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(ReservationFilters {
            state: wire.status,
            reference_id: wire.reference_id,
        })
    }
}

#[tonic::async_trait]
impl ReservationService for ReservationApi {
    async fn create_reservation(
        &self,
        request: Request<pb::CreateReservationRequest>,
    ) -> Result<Response<pb::CreateReservationResponse>, Status> {
        let caller = caller(&request)?;
        let mut req = request.into_inner();
        check_idempotency_key(&req.idempotency_key).map_err(ApiError::from)?;
        let now = now_micros();
        let mut errors = Violations::default();
        let mut lines = Vec::with_capacity(req.lines.len());
        for (i, line) in req.lines.iter_mut().enumerate() {
            let id = |field: &str, value: &str| {
                if value.is_empty() {
                    Ok(String::new())
                } else {
                    canonical_id(&format!("lines[{i}].{field}"), value)
                }
            };
            let item = errors.check(id("catalog_object_id", &line.catalog_object_id));
            let location = errors.check(id("location_id", &line.location_id));
            if let (Some(item), Some(location)) = (item, location) {
                line.catalog_object_id.clone_from(&item);
                line.location_id.clone_from(&location);
                lines.push(LineDraft {
                    catalog_object_id: item,
                    location_id: location,
                    quantity: line.quantity.clone(),
                });
            }
            for (field, set) in [
                ("committed_quantity", &line.committed_quantity),
                ("released_quantity", &line.released_quantity),
                ("held_quantity", &line.held_quantity),
            ] {
                if !set.is_empty() {
                    errors.push(Violation::new(
                        format!("lines[{i}].{field}"),
                        reasons::READ_ONLY_FIELD,
                        "is set by the server; leave it empty",
                    ));
                }
            }
        }
        let expires_at = errors.check(expiry(req.ttl.as_ref(), req.expires_at.as_ref(), now));
        if !errors.0.is_empty() {
            return Err(ApiError::Invalid(errors).into());
        }
        let expires_at = expires_at.expect("checked");
        let step = reservation::create(
            crate::store::new_id(),
            &lines,
            expires_at,
            req.reference_id.clone(),
            now,
        )
        .map_err(ApiError::Invalid)?;
        let created = step.after.clone();
        let batch = ReservationBatch {
            key: reservation_key(&["create", &req.idempotency_key]),
            request_digest: request_digest(&req),
            step,
            from_version: None,
            guarded: true,
            source: caller.source.clone(),
            now,
        };
        let created = match self.ledger.step_reservation(&caller.merchant, batch).await {
            Ok(BatchOutcome::Applied(_)) => created,
            // A retry: the reservation the first call created, as it is now.
            Ok(BatchOutcome::Replayed(response)) => {
                let id = created_reservation(&response)?;
                self.read(&caller, &id).await?
            }
            Err(refused) => return Err(line_refusal(refused).into()),
        };
        Ok(Response::new(pb::CreateReservationResponse {
            reservation: Some(reservation_to_wire(&created)),
        }))
    }

    async fn commit_reservation(
        &self,
        request: Request<pb::CommitReservationRequest>,
    ) -> Result<Response<pb::CommitReservationResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let id = require_id("id", &req.id)?;
        check_idempotency_key(&req.idempotency_key).map_err(ApiError::from)?;
        let mut errors = Violations::default();
        let lines: Vec<(usize, String)> = req
            .lines
            .iter()
            .enumerate()
            .filter_map(|(n, line)| match usize::try_from(line.line) {
                Ok(index) => Some((index, line.quantity.clone())),
                Err(_) => {
                    errors.push(Violation::invalid(
                        format!("lines[{n}].line"),
                        "must be at least 0",
                    ));
                    None
                }
            })
            .collect();
        let price = errors
            .check(total_price(req.total_price_money.as_ref()))
            .flatten();
        if !errors.0.is_empty() {
            return Err(ApiError::Invalid(errors).into());
        }
        let key = reservation_key(&["commit", &id, &req.idempotency_key]);
        let request_digest = request_digest(&req);
        let reservation = self
            .take_step(
                &caller,
                &id,
                StepKey::Callers {
                    key: &key,
                    digest: &request_digest,
                },
                |r, now| reservation::commit(r, &lines, price.clone(), now),
            )
            .await?;
        Ok(Response::new(pb::CommitReservationResponse {
            reservation: Some(reservation_to_wire(&reservation)),
        }))
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Result<Response<pb::ReleaseReservationResponse>, Status> {
        let caller = caller(&request)?;
        let id = require_id("id", &request.get_ref().id)?;
        let outcome = self
            .take_step(
                &caller,
                &id,
                StepKey::Version("release"),
                reservation::release,
            )
            .await;
        let reservation = match outcome {
            // Releasing what holds nothing answers it as it is.
            Err(StepError::Refused(StepRefusal::NotHeld(_), current)) => *current,
            other => other.map_err(ApiError::from)?,
        };
        Ok(Response::new(pb::ReleaseReservationResponse {
            reservation: Some(reservation_to_wire(&reservation)),
        }))
    }

    async fn extend_reservation(
        &self,
        request: Request<pb::ExtendReservationRequest>,
    ) -> Result<Response<pb::ExtendReservationResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let id = require_id("id", &req.id)?;
        let now = now_micros();
        let expires_at = expiry(req.ttl.as_ref(), req.expires_at.as_ref(), now)?;
        let reservation = self
            .take_step(&caller, &id, StepKey::Version("extend"), |r, now| {
                reservation::extend(r, expires_at, now)
            })
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::ExtendReservationResponse {
            reservation: Some(reservation_to_wire(&reservation)),
        }))
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let id = require_id("id", &request.get_ref().id)?;
        let reservation = self
            .store
            .get_reservation(&merchant, &id)
            .await
            .or_not_found(WHAT, "id", &id)?;
        Ok(Response::new(pb::GetReservationResponse {
            reservation: Some(reservation_to_wire(&reservation)),
        }))
    }

    async fn list_reservations(
        &self,
        request: Request<pb::ListReservationsRequest>,
    ) -> Result<Response<pb::ListReservationsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let state = state_from_wire("state", req.state)?;
        let requested = ReservationFilters {
            state: state.map(|s| s.as_str().to_owned()),
            reference_id: Some(req.reference_id.clone()).filter(|r| !r.is_empty()),
        };
        let (filters, after_id) =
            self.cursors
                .resolve(Query::Reservations, &merchant, &req.cursor, requested)?;
        let query = ReservationListQuery {
            after_id,
            state: filters
                .state
                .as_deref()
                .and_then(ReservationState::from_stored),
            reference_id: filters.reference_id.clone(),
            limit,
        };
        let page = self
            .store
            .list_reservations(&merchant, &query)
            .await
            .map_err(ApiError::from)?;
        let cursor = self
            .cursors
            .next(Query::Reservations, &merchant, &filters, &page, |last| {
                last.id.clone()
            });
        Ok(Response::new(pb::ListReservationsResponse {
            reservations: page.items.iter().map(reservation_to_wire).collect(),
            cursor,
        }))
    }
}

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 250;

/// What a step's idempotency key is made of.
#[derive(Clone, Copy, Debug)]
enum StepKey<'a> {
    /// The caller's key (already behind the reservation prefix) and request digest.
    Callers { key: &'a str, digest: &'a str },
    /// The step's kind, the reservation's id and the version it is computed from.
    Version(&'a str),
}

/// Why a step on an existing reservation was not taken.
#[derive(Debug)]
enum StepError {
    /// The state machine refused it; the reservation as it is.
    Refused(StepRefusal, Box<Reservation>),
    /// Anything else (not found, storage, the ledger's refusal).
    Failed(ApiError),
}

impl From<ApiError> for StepError {
    fn from(err: ApiError) -> Self {
        StepError::Failed(err)
    }
}

impl From<StepError> for ApiError {
    fn from(err: StepError) -> Self {
        match err {
            StepError::Failed(err) => err,
            StepError::Refused(refusal, current) => step_refusal(refusal, &current),
        }
    }
}

impl From<StepError> for Status {
    fn from(err: StepError) -> Self {
        ApiError::from(err).into()
    }
}

impl ReservationApi {
    /// Takes a step on reservation `id`, computed from it as it is now, again if it lost a
    /// race. Keyed by the caller's key (a commit: a retry after success answers the
    /// reservation as it is now), or by the version it is computed from (release, extend:
    /// taking it twice is impossible, since the second sees the next version).
    async fn take_step(
        &self,
        caller: &Caller,
        id: &str,
        keyed_by: StepKey<'_>,
        compute: impl Fn(&Reservation, i64) -> Result<Step, StepRefusal>,
    ) -> Result<Reservation, StepError> {
        for _ in 0..STEP_ATTEMPTS {
            let current = self.read(caller, id).await?;
            let now = now_micros();
            let (key, mut request_digest) = match keyed_by {
                StepKey::Callers { key, digest } => (key.to_owned(), digest.to_owned()),
                StepKey::Version(kind) => {
                    let version = current.version.to_string();
                    (reservation_key(&[kind, id, &version]), kind.to_owned())
                }
            };
            let step = match compute(&current, now) {
                Ok(step) => step,
                Err(refusal) => {
                    if let StepKey::Callers { .. } = keyed_by
                        && self.key_was_used(caller, &key, &request_digest).await?
                    {
                        return Ok(current);
                    }
                    return Err(StepError::Refused(refusal, Box::new(current)));
                }
            };
            if let StepKey::Version(kind) = keyed_by {
                // Two different steps from one version (two extensions) must not replay
                // each other: the second is told apart, then sees the next version.
                request_digest = format!("{kind} {}", step.after.expires_at);
            }
            let batch = ReservationBatch {
                key,
                request_digest,
                from_version: Some(current.version),
                step,
                guarded: false,
                source: caller.source.clone(),
                now,
            };
            match self.ledger.step_reservation(&caller.merchant, batch).await {
                Ok(_) => return Ok(self.read(caller, id).await?),
                Err(SubmitError::Refused(Refusal::ReservationChanged)) => continue,
                Err(SubmitError::Refused(Refusal::IdempotencyKeyReused))
                    if matches!(keyed_by, StepKey::Version(_)) =>
                {
                    continue;
                }
                Err(other) => return Err(ApiError::from(other).into()),
            }
        }
        Err(ApiError::Aborted {
            reason: reasons::CONCURRENT_WRITES,
            message: "the reservation kept changing meanwhile; retry".into(),
        }
        .into())
    }

    async fn read(&self, caller: &Caller, id: &str) -> Result<Reservation, ApiError> {
        self.store
            .get_reservation(&caller.merchant, id)
            .await
            .or_not_found(WHAT, "id", id)
    }

    /// Whether `key` answered this very request before (a retry after success);
    /// `IDEMPOTENCY_KEY_REUSED` when it answered another.
    async fn key_was_used(
        &self,
        caller: &Caller,
        key: &str,
        request_digest: &str,
    ) -> Result<bool, ApiError> {
        match self.store.idempotency_digest(&caller.merchant, key).await? {
            None => Ok(false),
            Some(digest) if digest == request_digest => Ok(true),
            Some(_) => Err(Refusal::IdempotencyKeyReused.into()),
        }
    }
}

/// Releases every due reservation, every `interval`, until the task is dropped. Each
/// expiry is a step like any other, checked under lock against the version it was computed
/// from: however many replicas sweep, each reservation expires exactly once.
pub async fn sweep_expired(store: Store, ledger: Ledger, interval: Duration) {
    let source = reservation::expiry_source();
    loop {
        tokio::time::sleep(interval).await;
        // During an outage the sweep waits on health's own connection, never on the pool:
        // its reads must not use up the pool's broken connections, which tell the writer
        // at once that the database is gone.
        if store.ping().await.is_err() {
            continue;
        }
        let now = now_micros();
        let due = match store.due_reservations(now, 100).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "reading due reservations");
                continue;
            }
        };
        for (merchant, reservation) in due {
            expire_one(&ledger, &merchant, &reservation, &source, now).await;
        }
    }
}

async fn expire_one(
    ledger: &Ledger,
    merchant: &MerchantId,
    reservation: &Reservation,
    source: &ChangeSource,
    now: i64,
) {
    let Ok(step) = reservation::expire(reservation, now) else {
        return;
    };
    let version = reservation.version.to_string();
    let batch = ReservationBatch {
        key: reservation_key(&["expire", &reservation.id, &version]),
        request_digest: "expire".to_owned(),
        from_version: Some(reservation.version),
        step,
        guarded: false,
        source: source.clone(),
        now,
    };
    match ledger.step_reservation(merchant, batch).await {
        Ok(_) => tracing::debug!(reservation = %reservation.id, "reservation expired"),
        // Another replica, or a commit or a release, got there first.
        Err(SubmitError::Refused(Refusal::ReservationChanged)) => {}
        Err(err) => tracing::warn!(
            reservation = %reservation.id,
            error = ?err,
            "expiring a reservation failed; the next sweep tries again"
        ),
    }
}

/// `expires_at` from exactly one of `ttl` and `expires_at`, at `now` (µs).
fn expiry(
    ttl: Option<&prost_types::Duration>,
    expires_at: Option<&prost_types::Timestamp>,
    now: i64,
) -> Result<i64, Violation> {
    match (ttl, expires_at) {
        (Some(_), Some(_)) => Err(Violation::invalid(
            "ttl",
            "give either ttl or expires_at, not both",
        )),
        (None, None) => Err(Violation::missing("ttl")),
        (None, Some(at)) => micros_from_timestamp("expires_at", at),
        (Some(ttl), None) => {
            if ttl.seconds < 0 || ttl.nanos < 0 || (ttl.seconds == 0 && ttl.nanos == 0) {
                return Err(Violation::new(
                    "ttl",
                    reasons::VALUE_TOO_LOW,
                    "must be greater than 0",
                ));
            }
            let micros = ttl
                .seconds
                .checked_mul(1_000_000)
                .and_then(|s| s.checked_add(i64::from(ttl.nanos) / 1000))
                .filter(|m| *m <= reservation::MAX_TTL_MICROS)
                .ok_or_else(|| {
                    Violation::new("ttl", reasons::VALUE_TOO_HIGH, "must be at most 30 days")
                })?;
            Ok(now + micros)
        }
    }
}

fn total_price(money: Option<&pb::Money>) -> Result<Option<Money>, Violation> {
    money
        .map(|m| parse_money("total_price_money", &m.amount, &m.currency))
        .transpose()
}

/// A creation's refusal, its changes named as the lines they came from
/// (`changes[2].adjustment.quantity` is `lines[2].quantity`).
fn line_refusal(err: SubmitError) -> ApiError {
    let refusal = match err {
        SubmitError::Refused(refusal) => refusal,
        SubmitError::Failed(err) => return err,
    };
    match refusal {
        Refusal::Invalid(violations) => ApiError::Invalid(Violations(
            violations
                .0
                .into_iter()
                .map(|v| Violation {
                    field: format!("lines[{}].{}", v.index, v.violation.field),
                    ..v.violation
                })
                .collect(),
        )),
        Refusal::Guard(guard) if guard.kind == GuardKind::InsufficientQuantity => {
            let field = format!("lines[{}].quantity", guard.index);
            ApiError::FailedPrecondition {
                reason: guard.reason(),
                message: format!(
                    "{field}: {} available at the location; nothing was reserved",
                    guard.reported_quantity()
                ),
                field,
                metadata: vec![
                    ("available_quantity", guard.reported_quantity()),
                    ("catalog_object_id", guard.count.catalog_object_id.clone()),
                    ("location_id", guard.count.location_id.clone()),
                ],
            }
        }
        Refusal::IdempotencyKeyReused => ApiError::AlreadyExists {
            reason: reasons::IDEMPOTENCY_KEY_REUSED,
            field: "idempotency_key".into(),
            message: "the idempotency key was already used for a different request".into(),
        },
        other => other.into(),
    }
}

/// A refusal of the state machine, answered with the reservation's state.
fn step_refusal(refusal: StepRefusal, current: &Reservation) -> ApiError {
    match refusal {
        StepRefusal::Invalid(violations) => ApiError::Invalid(violations),
        StepRefusal::NotHeld(state) => ApiError::FailedPrecondition {
            reason: RESERVATION_NOT_HELD,
            field: "id".into(),
            message: format!("the reservation holds nothing: it is {}", state.as_str()),
            metadata: vec![("state", state.as_str().to_owned())],
        },
        StepRefusal::Expired => ApiError::FailedPrecondition {
            reason: RESERVATION_EXPIRED,
            field: "id".into(),
            message: "the reservation is past its expires_at; its units are being released".into(),
            metadata: vec![("expires_at", current.expires_at.to_string())],
        },
    }
}

/// The id of the reservation a creation's stored response recorded (on its changes).
fn created_reservation(response: &[u8]) -> Result<String, ApiError> {
    let response = pb::BatchChangeInventoryResponse::decode(response)
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    response
        .changes
        .iter()
        .find_map(|change| match &change.change {
            Some(pb::inventory_change::Change::Adjustment(a)) => Some(a.reservation_id.clone()),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("a stored creation names no reservation".into()))
}
