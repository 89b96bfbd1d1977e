//! The payment state machine (issue 24): which state may follow which, and who may charge.
//!
//! A fine is held by at most one payment at a time (`fines.held_by`); only the payment that holds it
//! may send a charge to the acquirer. Every transition is one conditional statement in the store
//! (`UPDATE payments SET status = to WHERE id = ? AND status IN from`), so two writers racing for one
//! payment cannot both win, and a final state is never left. When the acquirer approves a payment that
//! no longer holds its fine (a late webhook, a race, a crash between two writes), the money goes back:
//! the payment becomes `refund_due` and then `refunded` through the gateway's refund.
//!
//! ```text
//!            hold                charge sent, answer lost
//!  pending ───────▶ held ─────────────────────────────▶ unknown
//!     │              │ ╲  bank QR shown                    │
//!     │ cancel       │  ╲──────────────▶ awaiting ◀────────┘
//!     ▼              │                    │   │ expire / superseded by a bank payment
//!  cancelled ◀───────┴────────────────────┼───┘
//!     │         superseded                │
//!     │ approved late   approve / decline (from held, unknown, awaiting)
//!     ▼                                   ▼
//!  refund_due ──refund──▶ refunded     approved | declined
//! ```

use crate::UnknownValue;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Recorded under its idempotency key; holds nothing and has charged nothing.
    Pending,
    /// Holds the fine: the only state from which a charge may be sent.
    Held,
    /// A charge was sent and its answer lost; still holds the fine until the acquirer says what happened.
    Unknown,
    /// A bank QR is shown; holds the fine until the acquirer confirms, declines, or the QR expires.
    Awaiting,
    /// Final: the fine is paid by this payment, with a receipt.
    Approved,
    /// Final: the acquirer declined; the fine was released.
    Declined,
    /// Final for charging: never charged from here (it lost the hold, its QR expired, or a bank payment
    /// paid the fine first). An approval that still arrives is refunded.
    Cancelled,
    /// The acquirer approved money that must go back; the refund is being made (retried until it is).
    RefundDue,
    /// Final: approved by the acquirer and returned in full.
    Refunded,
}

/// A move from one status to another; each is one conditional statement in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Take the fine's hold (with the fine's `unpaid → processing`, in one transaction).
    Hold,
    /// Lost the race for the hold before charging anything.
    Cancel,
    /// The charge was sent and its answer lost.
    Lose,
    /// The acquirer shows a bank QR to pay.
    Await,
    /// The acquirer approved: the fine is paid (with the receipt, in one transaction).
    Approve,
    /// The acquirer declined: the fine is released.
    Decline,
    /// A bank QR expired unpaid, or a bank payment paid the fine first: the hold is given up.
    Abandon,
    /// The acquirer approved a payment that no longer holds its fine (cancelled, declined, or its fine
    /// taken by a bank payment): the money must go back.
    ApproveLate,
    /// The refund went through.
    Refund,
}

impl Transition {
    /// The statuses this transition may leave.
    pub fn from(self) -> &'static [PaymentStatus] {
        use PaymentStatus::*;
        match self {
            Transition::Hold | Transition::Cancel => &[Pending],
            Transition::Lose => &[Held],
            Transition::Await => &[Held, Unknown],
            Transition::Approve | Transition::Decline => &[Held, Unknown, Awaiting],
            Transition::Abandon => &[Held, Unknown, Awaiting],
            // From a holder too, when the fine is no longer held by it (a bank payment recorded between
            // its hold and its approval took the fine): the store adds that condition.
            Transition::ApproveLate => &[Cancelled, Declined, Held, Unknown, Awaiting],
            Transition::Refund => &[RefundDue],
        }
    }

    /// The status it arrives at.
    pub fn to(self) -> PaymentStatus {
        use PaymentStatus::*;
        match self {
            Transition::Hold => Held,
            Transition::Cancel | Transition::Abandon => Cancelled,
            Transition::Lose => Unknown,
            Transition::Await => Awaiting,
            Transition::Approve => Approved,
            Transition::Decline => Declined,
            Transition::ApproveLate => RefundDue,
            Transition::Refund => Refunded,
        }
    }

    /// The `IN (...)` list of the statuses it may leave, for the store's conditional statement.
    pub fn from_sql(self) -> String {
        self.from().iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
    }
}

/// A bank QR is payable for 15 minutes; after that the payment gives up its hold (a bank that confirms
/// it later is refunded).
pub const BANK_QR_LIFETIME: chrono::Duration = chrono::Duration::minutes(15);
/// A payment that holds its fine but that the acquirer has never seen (the process stopped before
/// charging, or the charge never arrived) gives up its hold after 10 minutes, so the citizen can pay
/// again; a charge that arrives later is refunded.
pub const UNSENT_HOLD_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// What to do when the acquirer approves a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnApproval {
    /// It holds its fine: pay the fine.
    PayTheFine,
    /// It lost or gave up its hold, or was declined before: refund the money.
    Refund,
    /// Already applied (approved, or its refund under way or done): nothing to do.
    Nothing,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 9] = [
        PaymentStatus::Pending,
        PaymentStatus::Held,
        PaymentStatus::Unknown,
        PaymentStatus::Awaiting,
        PaymentStatus::Approved,
        PaymentStatus::Declined,
        PaymentStatus::Cancelled,
        PaymentStatus::RefundDue,
        PaymentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Held => "held",
            PaymentStatus::Unknown => "unknown",
            PaymentStatus::Awaiting => "awaiting",
            PaymentStatus::Approved => "approved",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::RefundDue => "refund_due",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// A stored status; an unknown one is an error (a payment in an unknown state is never charged).
    pub fn parse(s: &str) -> Result<Self, UnknownValue> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownValue::new("payment status", s))
    }

    /// Whether a payment in this status holds its fine (and so may be charged, or is being).
    pub fn holds_fine(self) -> bool {
        matches!(self, PaymentStatus::Held | PaymentStatus::Unknown | PaymentStatus::Awaiting)
    }

    /// Whether a charge may be sent for it now: only while it holds the fine and no bank QR was shown.
    /// A replay of a payment the acquirer has no record of charges only from here (the acquirer charges
    /// one payment id at most once, so a charge still in flight elsewhere cannot make it twice).
    pub fn may_charge(self) -> bool {
        matches!(self, PaymentStatus::Held | PaymentStatus::Unknown)
    }

    /// What an approval by the acquirer means for a payment in this status.
    pub fn on_approval(self) -> OnApproval {
        match self {
            s if s.holds_fine() => OnApproval::PayTheFine,
            PaymentStatus::Cancelled | PaymentStatus::Declined => OnApproval::Refund,
            // Pending never reached the acquirer; an approval for it is the acquirer's mistake, and
            // refunding needs the payment to leave `pending` first, which only the hold race does.
            _ => OnApproval::Nothing,
        }
    }

    /// Whether no transition leaves it.
    pub fn is_final(self) -> bool {
        !Transition::ALL.iter().any(|t| t.from().contains(&self))
    }
}

impl Transition {
    pub const ALL: [Transition; 9] = [
        Transition::Hold,
        Transition::Cancel,
        Transition::Lose,
        Transition::Await,
        Transition::Approve,
        Transition::Decline,
        Transition::Abandon,
        Transition::ApproveLate,
        Transition::Refund,
    ];
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;

    #[test]
    fn only_a_payment_that_holds_its_fine_and_has_no_answer_yet_may_charge() {
        let chargeable: Vec<_> = PaymentStatus::ALL.into_iter().filter(|s| s.may_charge()).collect();
        assert_eq!(chargeable, vec![Held, Unknown]);
        assert!(PaymentStatus::ALL.into_iter().filter(|s| s.may_charge()).all(|s| s.holds_fine()));
    }

    #[test]
    fn a_cancelled_payment_is_never_charged_and_only_an_approval_leaves_it_toward_a_refund() {
        assert!(!Cancelled.may_charge());
        let leaving: Vec<_> = Transition::ALL.into_iter().filter(|t| t.from().contains(&Cancelled)).collect();
        assert_eq!(leaving, vec![Transition::ApproveLate]);
        assert!(Transition::ApproveLate.from().iter().all(|s| *s != Approved && *s != Refunded));
        assert_eq!(Transition::ApproveLate.to(), RefundDue);
        assert_eq!(Cancelled.on_approval(), OnApproval::Refund);
    }

    #[test]
    fn the_hold_and_the_cancel_race_from_the_same_state_so_only_one_can_win() {
        assert_eq!(Transition::Hold.from(), Transition::Cancel.from());
        assert_eq!(Transition::Hold.from(), &[Pending]);
    }

    #[test]
    fn approved_declined_and_refunded_are_final() {
        assert!(Approved.is_final() && Refunded.is_final());
        // A declined payment only moves if the acquirer approves it after all (then it is refunded).
        assert_eq!(Transition::ALL.into_iter().filter(|t| t.from().contains(&Declined)).count(), 1);
        assert!(!Pending.is_final() && !RefundDue.is_final());
    }

    #[test]
    fn an_approval_pays_the_fine_only_for_its_holder_and_refunds_otherwise() {
        for s in PaymentStatus::ALL {
            let expected = match s {
                Held | Unknown | Awaiting => OnApproval::PayTheFine,
                Cancelled | Declined => OnApproval::Refund,
                Pending | Approved | RefundDue | Refunded => OnApproval::Nothing,
            };
            assert_eq!(s.on_approval(), expected, "{s}");
        }
    }

    #[test]
    fn every_status_reads_back_and_an_unknown_one_is_an_error() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Ok(s));
        }
        assert!(PaymentStatus::parse("processing").is_err());
        assert_eq!(Transition::Approve.from_sql(), "'held', 'unknown', 'awaiting'");
    }
}
