//! The 50% discount and the deadlines of a fine (Administrative Offences Code; design 3.7).

use super::{Calendar, CalendarError, Tiyn};
use crate::UnknownValue;
use crate::time::almaty_date;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The discount lasts 7 working days...
pub const DISCOUNT_WORKING_DAYS: u32 = 7;
/// A fine takes effect 10 days after the notice (camera: after delivery) unless appealed...
pub const TAKES_EFFECT_AFTER_DAYS: u64 = 10;
/// ...and must be paid voluntarily within 30 days after that; an unpaid fine past it is overdue.
pub const VOLUNTARY_PAYMENT_DAYS: u64 = 30;
/// Fines are purged a year after their payment deadline (receipts stay).
pub const RETENTION_AFTER_DEADLINE_DAYS: u64 = 365;

/// How the offence was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedBy {
    Officer,
    /// A certified automatic camera: the discount counts from delivery of the payment notice.
    Camera,
}

/// Why the discount can never apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Another penalty was imposed with the fine.
    OtherPenalty,
    /// The offender has immunity.
    Immunity,
    /// The case is heard by the financial-market regulator or the National Bank.
    FinancialRegulator,
}

impl RecordedBy {
    /// A stored value; an unknown one is an error.
    pub fn stored(s: &str) -> Result<RecordedBy, UnknownValue> {
        match s {
            "officer" => Ok(RecordedBy::Officer),
            "camera" => Ok(RecordedBy::Camera),
            _ => Err(UnknownValue::new("recorded_by", s)),
        }
    }
}

impl Exclusion {
    pub const ALL: [Exclusion; 3] = [Exclusion::OtherPenalty, Exclusion::Immunity, Exclusion::FinancialRegulator];

    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::OtherPenalty => "other_penalty",
            Exclusion::Immunity => "immunity",
            Exclusion::FinancialRegulator => "financial_regulator",
        }
    }

    /// A stored exclusion (`None`: there is none). An unknown value is an error, never "no exclusion",
    /// which would grant the discount.
    pub fn stored(s: Option<&str>) -> Result<Option<Exclusion>, UnknownValue> {
        s.map(|s| Exclusion::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| UnknownValue::new("exclusion", s)))
            .transpose()
    }
}

/// Where a fine stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FineStatus {
    Unpaid,
    /// A payment holds it.
    Processing,
    Paid,
}

impl FineStatus {
    /// A stored status; an unknown one is an error, never "unpaid" (which would let it be paid again).
    pub fn stored(s: &str) -> Result<FineStatus, UnknownValue> {
        match s {
            "unpaid" => Ok(FineStatus::Unpaid),
            "processing" => Ok(FineStatus::Processing),
            "paid" => Ok(FineStatus::Paid),
            _ => Err(UnknownValue::new("fine status", s)),
        }
    }
}

/// What the rules need to know about a fine.
#[derive(Debug, Clone)]
pub struct FineFacts {
    pub recorded_by: RecordedBy,
    pub notice_date: NaiveDate,
    /// Camera fines: the day the payment notice was delivered (eGov account and SMS).
    pub delivered_on: Option<NaiveDate>,
    pub excluded: Option<Exclusion>,
    /// The offender appealed (no discount while an appeal stands).
    pub appealed: bool,
    pub amount: Tiyn,
}

/// The discount of a fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discount {
    pub eligible: bool,
    /// The last day (Asia/Almaty) the discounted amount is accepted; `None` for a camera fine not yet
    /// delivered (the period has not started) or an ineligible fine.
    pub last_day: Option<NaiveDate>,
    /// The discounted amount.
    pub amount: Tiyn,
}

impl FineFacts {
    /// The day the counting starts after: the notice, or for a camera fine its delivery.
    fn start(&self) -> Option<NaiveDate> {
        match self.recorded_by {
            RecordedBy::Officer => Some(self.notice_date),
            RecordedBy::Camera => self.delivered_on,
        }
    }

    /// The discount: 7 working days counted from the day after the notice (camera: after delivery),
    /// through 23:59:59 Almaty time of the 7th.
    pub fn discount(&self, calendar: &Calendar) -> Result<Discount, CalendarError> {
        let eligible = self.excluded.is_none() && !self.appealed;
        let last_day = match (eligible, self.start()) {
            (true, Some(start)) => Some(calendar.nth_working_day_after(start, DISCOUNT_WORKING_DAYS)?),
            _ => None,
        };
        Ok(Discount { eligible, last_day, amount: self.amount.half() })
    }

    /// What the offender owes at `now`: half while the discount runs (or has not yet started), the full
    /// amount from the day after its last day.
    pub fn amount_due(&self, calendar: &Calendar, now: DateTime<Utc>) -> Result<Tiyn, CalendarError> {
        self.owed_on(calendar, almaty_date(now))
    }

    /// The discount as it stands at `now`: `eligible` only while it can still be used (the law grants
    /// it and its last day has not passed); `last_day` stays, so the app can say when it ended.
    pub fn discount_at(&self, calendar: &Calendar, now: DateTime<Utc>) -> Result<Discount, CalendarError> {
        self.discount_on(calendar, almaty_date(now))
    }

    /// The discount as it stood on `day` (a bank's payment date is judged on that date, not on the day
    /// a state body records it).
    pub fn discount_on(&self, calendar: &Calendar, day: NaiveDate) -> Result<Discount, CalendarError> {
        let mut d = self.discount(calendar)?;
        d.eligible = d.eligible && d.last_day.is_none_or(|last| day <= last);
        Ok(d)
    }

    /// What a payment made on `day` had to be to settle the fine, before anything already credited:
    /// half while the discount ran, the full amount after.
    pub fn owed_on(&self, calendar: &Calendar, day: NaiveDate) -> Result<Tiyn, CalendarError> {
        let d = self.discount_on(calendar, day)?;
        Ok(if d.eligible { d.amount } else { self.amount })
    }

    /// The day the fine takes effect (None for a camera fine not yet delivered).
    pub fn takes_effect_on(&self) -> Option<NaiveDate> {
        self.start().and_then(|s| s.checked_add_days(Days::new(TAKES_EFFECT_AFTER_DAYS)))
    }

    /// The last day of voluntary payment.
    pub fn payment_deadline(&self) -> Option<NaiveDate> {
        self.takes_effect_on().and_then(|e| e.checked_add_days(Days::new(VOLUNTARY_PAYMENT_DAYS)))
    }

    /// Whether an unpaid fine is past its voluntary payment period on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.payment_deadline().is_some_and(|d| today > d)
    }

    /// Fines noticed on or after this day cannot be purgeable on `today`: the deadline comes at least 40
    /// days after the notice (delivery is never before it), and the purge a year after that. Lets a store
    /// read only the fines a purge could concern.
    pub fn purge_notice_cutoff(today: NaiveDate) -> NaiveDate {
        today
            .checked_sub_days(Days::new(
                TAKES_EFFECT_AFTER_DAYS + VOLUNTARY_PAYMENT_DAYS + RETENTION_AFTER_DEADLINE_DAYS,
            ))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Whether the fine may be purged on `today` (a year after its payment deadline).
    pub fn purgeable(&self, today: NaiveDate) -> bool {
        self.payment_deadline()
            .and_then(|d| d.checked_add_days(Days::new(RETENTION_AFTER_DEADLINE_DAYS)))
            .is_some_and(|p| today > p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cal() -> Calendar {
        Calendar::load(super::super::SHIPPED_CALENDARS).expect("the shipped calendars are valid")
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn officer(notice: &str) -> FineFacts {
        FineFacts {
            recorded_by: RecordedBy::Officer,
            notice_date: d(notice),
            delivered_on: None,
            excluded: None,
            appealed: false,
            amount: Tiyn::from_tenge(12_975),
        }
    }

    fn last(notice: &str) -> NaiveDate {
        officer(notice).discount(&cal()).unwrap().last_day.unwrap()
    }

    #[test]
    fn the_egov_kz_example_monday_1_august_2022_runs_to_wednesday_10_august() {
        assert_eq!(last("2022-08-01"), d("2022-08-10"));
    }

    #[test]
    fn discount_ends_after_seven_working_days_skipping_nauryz() {
        // Notice Thu 19 March 2026: working days 20, 26, 27, 30, 31 March, 1, 2 April (21-25 are off).
        assert_eq!(last("2026-03-19"), d("2026-04-02"));
    }

    #[test]
    fn a_government_transfer_counts_the_worked_sunday_and_skips_the_day_off() {
        // Notice Thu 2 January 2025: Fri 3 is off, Sun 5 is worked: 5, 6, 8, 9, 10, 13, 14 (7 Jan never moves).
        assert_eq!(last("2025-01-02"), d("2025-01-14"));
    }

    #[test]
    fn the_2024_may_transfer_is_honoured() {
        // Notice Thu 2 May 2024: Fri 3, Sat 4 (worked), Mon 6; Tue 7 (holiday), Wed 8 (transferred) and
        // Thu 9 (holiday) are off; Fri 10, Mon 13, Tue 14, Wed 15.
        assert_eq!(last("2024-05-02"), d("2024-05-15"));
    }

    #[test]
    fn a_camera_fine_counts_from_delivery_and_has_no_last_day_before_it() {
        let mut f = officer("2026-11-16");
        f.recorded_by = RecordedBy::Camera;
        assert_eq!(f.discount(&cal()).unwrap().last_day, None);
        assert_eq!(
            f.amount_due(&cal(), "2026-12-30T10:00:00Z".parse().unwrap()).unwrap(),
            Tiyn(648_750),
            "not started: the discount still applies"
        );
        f.delivered_on = Some(d("2026-11-23"));
        assert_eq!(f.discount(&cal()).unwrap().last_day, Some(d("2026-12-02")));
    }

    #[test]
    fn the_discount_lasts_through_23_59_59_almaty_time_of_its_last_day() {
        let f = officer("2022-08-01");
        // 10 August 2022 23:59:59 in UTC+6 is 17:59:59 UTC.
        assert_eq!(f.amount_due(&cal(), "2022-08-10T17:59:59Z".parse().unwrap()).unwrap(), Tiyn(648_750));
        assert_eq!(f.amount_due(&cal(), "2022-08-10T18:00:00Z".parse().unwrap()).unwrap(), Tiyn(1_297_500));
        let on_last_day = f.discount_at(&cal(), "2022-08-10T17:59:59Z".parse().unwrap()).unwrap();
        assert!(on_last_day.eligible);
        let after = f.discount_at(&cal(), "2022-08-10T18:00:00Z".parse().unwrap()).unwrap();
        assert!(!after.eligible, "no longer eligible once the last day is over");
        assert_eq!(after.last_day, on_last_day.last_day, "the last day stays, to say when it ended");
    }

    #[test]
    fn exclusions_and_appeals_remove_the_discount() {
        for e in [Exclusion::OtherPenalty, Exclusion::Immunity, Exclusion::FinancialRegulator] {
            let mut f = officer("2026-11-23");
            f.excluded = Some(e);
            let disc = f.discount(&cal()).unwrap();
            assert!(!disc.eligible && disc.last_day.is_none());
            assert_eq!(f.amount_due(&cal(), "2026-11-24T05:00:00Z".parse().unwrap()).unwrap(), Tiyn(1_297_500));
        }
        let mut f = officer("2026-11-23");
        f.appealed = true;
        assert!(!f.discount(&cal()).unwrap().eligible);
    }

    #[test]
    fn a_fine_is_overdue_forty_days_after_the_notice() {
        let f = officer("2026-10-01");
        assert_eq!(f.payment_deadline(), Some(d("2026-11-10")));
        assert!(!f.is_overdue(d("2026-11-10")));
        assert!(f.is_overdue(d("2026-11-11")));
        assert!(!f.purgeable(d("2027-11-10")) && f.purgeable(d("2027-11-11")));
        // The store's cutoff keeps every purgeable fine: noticed before the cutoff of the first purge day.
        assert!(d("2026-10-01") < FineFacts::purge_notice_cutoff(d("2027-11-11")));
        assert!(d("2026-10-01") >= FineFacts::purge_notice_cutoff(d("2027-11-10")));
    }

    proptest! {
        #[test]
        fn the_last_day_is_a_working_day_exactly_seven_working_days_on(days in 0u64..(6 * 365 - 30)) {
            let c = cal();
            let notice = d("2022-01-01").checked_add_days(Days::new(days)).unwrap();
            let f = officer(&notice.to_string());
            let last = f.discount(&c).unwrap().last_day.unwrap();
            prop_assert!(c.is_working_day(last).unwrap());
            let mut n = 0;
            let mut x = notice;
            while x < last {
                x = x.succ_opt().unwrap();
                if c.is_working_day(x).unwrap() { n += 1; }
            }
            prop_assert_eq!(n, DISCOUNT_WORKING_DAYS);
            prop_assert!((last - notice).num_days() >= 9 && (last - notice).num_days() <= 21, "{} -> {}", notice, last);
        }

        #[test]
        fn the_amount_due_is_half_until_the_last_day_and_whole_after(days in 0u64..(6 * 365 - 60), hour in 0u32..24) {
            let c = cal();
            let notice = d("2022-01-01").checked_add_days(Days::new(days)).unwrap();
            let f = officer(&notice.to_string());
            let last = f.discount(&c).unwrap().last_day.unwrap();
            let at = |date: NaiveDate| date.and_hms_opt(hour, 0, 0).unwrap().and_utc();
            let before = f.amount_due(&c, at(last) - chrono::Duration::hours(6)).unwrap();
            prop_assert_eq!(before, f.amount.half());
            let after = f.amount_due(&c, crate::time::almaty_end_of(last)).unwrap();
            prop_assert_eq!(after, f.amount);
        }
    }

    #[test]
    fn an_unknown_stored_status_exclusion_or_recording_is_refused_not_granted() {
        assert_eq!(Exclusion::stored(None), Ok(None));
        for e in Exclusion::ALL {
            assert_eq!(Exclusion::stored(Some(e.as_str())), Ok(Some(e)));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str(), "the wire and the store agree");
        }
        // Read as "no exclusion", a typo would grant the discount.
        assert!(Exclusion::stored(Some("Immunity")).is_err());
        assert!(Exclusion::stored(Some("")).is_err());
        // Read as "unpaid", an unknown status would let the fine be paid a second time.
        assert_eq!(FineStatus::stored("paid"), Ok(FineStatus::Paid));
        assert!(FineStatus::stored("settled").is_err());
        assert!(RecordedBy::stored("satellite").is_err());
    }
}
