//! What a fine's notices say (design 3.7), in Kazakh, Russian and English: which fine (protocol number
//! and article), what is due now, the 50% discount with its amount and last day only while the law grants
//! it, and the payment deadline. The same words go to the SMS and to the notification, so the two never
//! disagree, and nothing promises a discount an excluded, appealed or expired fine does not have.

use super::{DISCOUNT_WORKING_DAYS, Tiyn};
use crate::documents::{Lang, Multilingual};
use crate::time::day_month_year;
use chrono::{Days, NaiveDate};

/// The deadline reminder goes out this many days before the last day of voluntary payment (and on each
/// later day until it went out, so a missed daily run still sends it in time).
pub const DEADLINE_REMINDER_DAYS: u64 = 3;

/// Why the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A fine was registered.
    New,
    /// Today is the last day of the 50% discount.
    DiscountLastDay,
    /// The voluntary payment period ends soon.
    DeadlineSoon,
}

impl NoticeKind {
    /// The notification kind the API lists.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::New => "fine_new",
            NoticeKind::DiscountLastDay => "fine_discount_last_day",
            NoticeKind::DeadlineSoon => "fine_deadline_soon",
        }
    }
}

/// The discount a notice may mention: only one the law grants on the day of the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedDiscount {
    /// `None` while a camera fine's notice is not delivered: the 7 working days have not started.
    pub last_day: Option<NaiveDate>,
}

/// The facts a notice states.
#[derive(Debug, Clone)]
pub struct FineNotice<'a> {
    pub kind: NoticeKind,
    pub protocol_number: &'a str,
    pub article: &'a str,
    /// What settles the fine today: the discounted amount while the discount runs, less what a bank
    /// payment already credited.
    pub amount_due: Tiyn,
    /// What settles it once the discount is over (the full amount, less what was credited).
    pub full_amount_due: Tiyn,
    pub discount: Option<OfferedDiscount>,
    pub payment_deadline: Option<NaiveDate>,
}

/// Whether the deadline reminder is due on `today` for a fine whose voluntary payment ends on `deadline`.
pub fn deadline_reminder_due(deadline: NaiveDate, today: NaiveDate) -> bool {
    deadline.checked_sub_days(Days::new(DEADLINE_REMINDER_DAYS)).is_some_and(|from| from <= today) && today <= deadline
}

impl FineNotice<'_> {
    /// The notice in one language.
    pub fn text(&self, lang: Lang) -> String {
        let (p, a, due) = (self.protocol_number, self.article, self.amount_due.display());
        let mut parts = vec![match lang {
            Lang::Kk => format!("Айыппұл № {p} (ӘҚБтК {a}-бабы)."),
            Lang::Ru => format!("Штраф № {p} (ст. {a} КоАП)."),
            Lang::En => format!("Traffic fine No. {p} (art. {a} of the Code of Administrative Offences)."),
        }];
        let full = self.full_amount_due.display();
        parts.push(match (self.kind, self.discount.map(|d| d.last_day.map(day_month_year)), lang) {
            (NoticeKind::DiscountLastDay, _, Lang::Kk) => {
                format!("Бүгін 50% жеңілдіктің соңғы күні: {due}. Ертеңнен бастап: {full}.")
            }
            (NoticeKind::DiscountLastDay, _, Lang::Ru) => {
                format!("Сегодня последний день скидки 50%: {due}. С завтрашнего дня: {full}.")
            }
            (NoticeKind::DiscountLastDay, _, Lang::En) => {
                format!("Today is the last day of the 50% discount: {due}. From tomorrow: {full}.")
            }
            (_, Some(Some(l)), Lang::Kk) => format!("50% жеңілдікпен {l} қоса алғанда: {due} (толық сомасы {full})."),
            (_, Some(Some(l)), Lang::Ru) => format!("Со скидкой 50% до {l} включительно: {due} (полная сумма {full})."),
            (_, Some(Some(l)), Lang::En) => {
                format!("With the 50% discount until {l} inclusive: {due} (in full {full}).")
            }
            (_, Some(None), Lang::Kk) => {
                format!(
                    "Хабарлама жеткізілгеннен кейін {DISCOUNT_WORKING_DAYS} жұмыс күні ішінде 50% жеңілдікпен: {due} (толық сомасы {full})."
                )
            }
            (_, Some(None), Lang::Ru) => {
                format!("Со скидкой 50% в течение {DISCOUNT_WORKING_DAYS} рабочих дней после вручения: {due} (полная сумма {full}).")
            }
            (_, Some(None), Lang::En) => {
                format!("With the 50% discount within {DISCOUNT_WORKING_DAYS} working days of delivery: {due} (in full {full}).")
            }
            (_, None, Lang::Kk) => format!("Төлеуге: {due}."),
            (_, None, Lang::Ru) => format!("К оплате: {due}."),
            (_, None, Lang::En) => format!("Due now: {due}."),
        });
        if let Some(deadline) = self.payment_deadline.map(day_month_year) {
            parts.push(match (lang, self.kind) {
                (Lang::Kk, NoticeKind::DeadlineSoon) => {
                    format!("Ерікті төлеу мерзімі {deadline} аяқталады; кейін айыппұл мәжбүрлеп өндіріледі.")
                }
                (Lang::Ru, NoticeKind::DeadlineSoon) => {
                    format!("Срок добровольной оплаты истекает {deadline}; затем штраф взыскивается принудительно.")
                }
                (Lang::En, NoticeKind::DeadlineSoon) => {
                    format!("The voluntary payment period ends on {deadline}; after it the fine is enforced.")
                }
                (Lang::Kk, _) => format!("Төлеу мерзімі: {deadline} дейін."),
                (Lang::Ru, _) => format!("Оплатить до {deadline}."),
                (Lang::En, _) => format!("Pay by {deadline}."),
            });
        }
        parts.join(" ")
    }

    /// The notice in the three languages (the notification carries all three; the app shows one).
    pub fn texts(&self) -> Multilingual {
        Multilingual { kk: self.text(Lang::Kk), ru: self.text(Lang::Ru), en: self.text(Lang::En) }
    }

    /// The SMS: the service's name, then the notice in Kazakh, Russian and English (no language choice
    /// of the citizen is known to the SMS channel).
    pub fn sms(&self) -> String {
        let t = self.texts();
        format!("eGov Mobile\n{}\n{}\n{}", t.kk, t.ru, t.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn new_fine(discount: Option<OfferedDiscount>, due: Tiyn) -> FineNotice<'static> {
        FineNotice {
            kind: NoticeKind::New,
            protocol_number: "KZ-0001234",
            article: "592-1",
            amount_due: due,
            full_amount_due: Tiyn::from_tenge(12_975),
            discount,
            payment_deadline: Some(d("2022-09-10")),
        }
    }

    #[test]
    fn a_new_fine_with_the_discount_names_the_fine_the_half_its_last_day_and_the_deadline() {
        let half = Tiyn::from_tenge(12_975).half();
        let n = new_fine(Some(OfferedDiscount { last_day: Some(d("2022-08-10")) }), half);
        let sms = n.sms();
        for needle in ["KZ-0001234", "592-1", "6\u{a0}487.50 ₸", "12\u{a0}975.00 ₸", "10.08.2022", "10.09.2022", "50%"]
        {
            for lang in [Lang::Kk, Lang::Ru, Lang::En] {
                assert!(n.text(lang).contains(needle), "{lang:?} lacks {needle}: {}", n.text(lang));
            }
        }
        assert!(sms.starts_with("eGov Mobile\n") && sms.contains("Штраф № KZ-0001234"), "{sms}");
    }

    #[test]
    fn a_fine_without_the_discount_never_mentions_it() {
        let n = new_fine(None, Tiyn::from_tenge(12_975));
        assert!(!n.sms().contains("50%"), "{}", n.sms());
        assert!(n.text(Lang::En).contains("Due now: 12\u{a0}975.00 ₸"), "{}", n.text(Lang::En));
        let reminder = FineNotice { kind: NoticeKind::DeadlineSoon, ..n };
        assert!(!reminder.sms().contains("50%"));
        assert!(reminder.text(Lang::Ru).contains("Срок добровольной оплаты истекает 10.09.2022"));
    }

    #[test]
    fn an_undelivered_camera_fine_promises_seven_working_days_from_delivery_without_a_date() {
        let half = Tiyn::from_tenge(12_975).half();
        let n = FineNotice { payment_deadline: None, ..new_fine(Some(OfferedDiscount { last_day: None }), half) };
        assert!(n.text(Lang::En).contains("within 7 working days of delivery"), "{}", n.text(Lang::En));
        assert!(!n.text(Lang::En).contains("Pay by"));
    }

    #[test]
    fn the_last_day_reminder_says_today_and_the_deadline_reminder_runs_three_days_up_to_the_deadline() {
        let half = Tiyn(100);
        let n = FineNotice {
            kind: NoticeKind::DiscountLastDay,
            ..new_fine(Some(OfferedDiscount { last_day: Some(d("2022-08-10")) }), half)
        };
        assert!(n.text(Lang::Kk).starts_with("Айыппұл № KZ-0001234") && n.text(Lang::Kk).contains("Бүгін"));
        assert!(
            n.text(Lang::En).contains("the 50% discount: 1.00 ₸. From tomorrow: 12\u{a0}975.00 ₸."),
            "{}",
            n.text(Lang::En)
        );
        assert!(!deadline_reminder_due(d("2022-09-10"), d("2022-09-06")));
        assert!(deadline_reminder_due(d("2022-09-10"), d("2022-09-07")));
        assert!(deadline_reminder_due(d("2022-09-10"), d("2022-09-10")));
        assert!(!deadline_reminder_due(d("2022-09-10"), d("2022-09-11")));
    }
}
