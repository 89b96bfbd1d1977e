//! Every service error, once, as the problem it answers: its kind (the stable `type` and the status)
//! and its words in Kazakh, Russian and English. The English words are the error's own (`Display`, also
//! what the logs say); the Kazakh and Russian ones are here. Plain words, no parser internals, and a next
//! step where there is one.

use super::problem::{ApiError, Tr, tr};
use crate::service::error::{Dependency, Failure, Invalid, Rule, Thing, city_names};
use crate::service::otp::OtpError;
use egov_api::ProblemKind as K;
use egov_core::auth::eds::KeyError;
use egov_core::identity::{IinError, PhoneError};
use egov_core::time::{Wait, wait_in_words};

/// A problem whose English words are the error's own.
fn problem(kind: K, kk: impl Into<String>, ru: impl Into<String>, e: &impl std::fmt::Display) -> ApiError {
    ApiError::new(kind, tr(kk, ru, e.to_string()))
}

/// A count with its Russian noun in the form the number needs: 1 минута, 2-4 минуты, 5-20 минут, 21
/// минута... (`forms` is one, few, many).
fn ru_count(n: u64, [one, few, many]: [&str; 3]) -> String {
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    };
    format!("{n} {word}")
}

/// A wait in words, in each language.
pub fn wait(seconds: u64) -> Tr {
    let ru = ru_count;
    const SEC: [&str; 3] = ["секунду", "секунды", "секунд"];
    const MIN: [&str; 3] = ["минуту", "минуты", "минут"];
    const HOUR: [&str; 3] = ["час", "часа", "часов"];
    let (kk, ru) = match Wait::of(seconds) {
        Wait::Seconds(s) => (format!("{s} секунд"), ru(s, SEC)),
        Wait::Minutes(m) => (format!("{m} минут"), ru(m, MIN)),
        Wait::Hours(h) => (format!("{h} сағат"), ru(h, HOUR)),
        Wait::HoursMinutes(h, m) => (format!("{h} сағат {m} минут"), format!("{} {}", ru(h, HOUR), ru(m, MIN))),
    };
    tr(kk, ru, wait_in_words(seconds))
}

fn retry(mut e: ApiError, seconds: u64) -> ApiError {
    e.retry_after = Some(seconds.max(1));
    e.with("retry_after", seconds.max(1))
}

/// A problem that says how long to wait: `kk` and `ru` word it around the wait in their language; the
/// answer carries `Retry-After` and `retry_after`.
fn after_wait(
    kind: K,
    retry_after: u64,
    kk: impl Fn(&str) -> String,
    ru: impl Fn(&str) -> String,
    e: &impl std::fmt::Display,
) -> ApiError {
    let w = wait(retry_after);
    retry(problem(kind, kk(w.get(egov_api::Lang::Kk)), ru(w.get(egov_api::Lang::Ru)), e), retry_after)
}

/// The names of things, in the nominative.
fn thing(t: Thing) -> [&'static str; 2] {
    match t {
        Thing::Citizen => ["Азамат", "Гражданин"],
        Thing::Device => ["Құрылғы", "Устройство"],
        Thing::Flow => ["Растау сұрауы", "Запрос подтверждения"],
        Thing::Document => ["Құжат", "Документ"],
        Thing::ValidDocument => {
            ["Осы түрдегі және нөмірдегі жарамды құжат", "Действующий документ этого вида и номера"]
        }
        Thing::Photo => ["Фотосурет", "Фотография"],
        Thing::Share => ["Рұқсат", "Доступ"],
        Thing::SharedCopy => ["Берілген көшірме", "Переданная копия"],
        Thing::Session => ["Сеанс", "Сеанс"],
        Thing::Fine => ["Айыппұл", "Штраф"],
        Thing::Payment => ["Төлем", "Платёж"],
        Thing::Receipt => ["Түбіртек", "Квитанция"],
        Thing::LoginRequest => ["Кіру сұрауы", "Запрос на вход"],
        Thing::LoginRequestWaiting => {
            ["Шешіміңізді күтіп тұрған кіру сұрауы", "Запрос на вход, ожидающий вашего решения"]
        }
        Thing::SigningRequest => ["Қол қою сұрауы", "Запрос на подпись"],
        Thing::HistoryEntry => ["Тарих жазбасы", "Запись истории"],
        Thing::Organisation => ["Ұйым", "Организация"],
    }
}

fn dependency(d: Dependency) -> [&'static str; 2] {
    match d {
        Dependency::IdentityCheck => ["Жеке басты тексеру қызметі", "Сервис проверки личности"],
        Dependency::Registry => ["Мемлекеттік тізілім", "Государственный реестр"],
        Dependency::Calendar => {
            ["Осы айыппұл күндеріне жұмыс күндерінің күнтізбесі", "Календарь рабочих дней на даты этого штрафа"]
        }
        Dependency::Sms => ["SMS операторы", "SMS-оператор"],
    }
}

/// The words of a broken rule (without the field).
pub fn rule(r: &Rule) -> [String; 2] {
    let s = |kk: &str, ru: &str| [kk.to_string(), ru.to_string()];
    match r {
        Rule::Date => s("ЖЖЖЖ-АА-КК пішіміндегі күн болуы керек", "должно быть датой в формате ГГГГ-ММ-ДД"),
        Rule::NotInFuture => s("болашақтағы күн болмауы керек", "не может быть датой в будущем"),
        Rule::NotBefore(other) => {
            [format!("{other} күнінен бұрын болмауы керек"), format!("не может быть раньше {other}")]
        }
        Rule::Between { min, max } => {
            [format!("{min}-ден {max}-ге дейін болуы керек"), format!("должно быть от {min} до {max}")]
        }
        Rule::SecondsBetween { min, max } => {
            [format!("{min}-ден {max} секундқа дейін болуы керек"), format!("должно быть от {min} до {max} секунд")]
        }
        Rule::Chars { min, max } => [
            format!("{min}-ден {max} таңбаға дейін болуы керек"),
            format!("должно содержать от {min} до {max} символов"),
        ],
        Rule::Printable { min, max } => [
            format!("{min}-ден {max} басылатын таңбаға дейін болуы керек"),
            format!("должно содержать от {min} до {max} печатных символов"),
        ],
        Rule::Code { min, max } => [
            format!("{min}-ден {max} әріп, цифр немесе сызықшаға дейін болуы керек"),
            format!("должно содержать от {min} до {max} букв, цифр или дефисов"),
        ],
        Rule::Digits(n) => [format!("{n} цифрдан тұруы керек"), format!("должно состоять из {n} цифр")],
        Rule::OneOf(values) => {
            let list = values.join(", ");
            [format!("мыналардың бірі болуы керек: {list}"), format!("должно быть одним из: {list}")]
        }
        Rule::ExactlyOneOf(values) => {
            let list = values.join(", ");
            [format!("мыналардың дәл біреуін жіберіңіз: {list}"), format!("отправьте ровно одно из: {list}")]
        }
        Rule::OnlyWith(method) => {
            [format!("тек {method} әдісімен жіберіледі"), format!("передаётся только при способе {method}")]
        }
        Rule::AtMostChars(max) => [format!("ең көбі {max} таңба"), format!("не более {max} символов")],
        Rule::NotOurLink => {
            s("бұл жерде бұл қызметтің мұндай сілтемесі емес", "здесь это не ссылка этого сервиса нужного вида")
        }
        Rule::Digest => s(
            "SHA-256 дайджесті болуы керек: 64 он алтылық таңба немесе base64",
            "должно быть дайджестом SHA-256: 64 шестнадцатеричных символа или base64",
        ),
        Rule::Description => s(
            "kk, ru және en әрқайсысы 1-ден 500 таңбаға дейін, басқару немесе бағыт өзгертетін таңбаларсыз",
            "kk, ru и en — каждое от 1 до 500 символов, без управляющих символов и символов смены направления",
        ),
        Rule::TooLongForQr => s("QR кодқа сыймайтындай ұзын", "слишком длинно для QR-кода"),
        Rule::Base64Url => s("base64url пішімінде болуы керек", "должно быть в формате base64url"),
        Rule::Positive => s("оң сома болуы керек", "должно быть положительной суммой"),
        Rule::Required => s("мұнда міндетті", "здесь обязательно"),
        Rule::Iin(IinError::Format) => s("дәл 12 цифрдан тұруы керек", "должен состоять ровно из 12 цифр"),
        Rule::Iin(IinError::Checksum) => {
            s("бақылау цифры сәйкес келмейді; ЖСН-ді тексеріңіз", "контрольная цифра не совпадает; проверьте ИИН")
        }
        Rule::Phone(PhoneError::Format) => {
            s("Қазақстан нөмірі болуы керек: +7 және 10 цифр", "должен быть казахстанским номером: +7 и 10 цифр")
        }
        Rule::Phone(PhoneError::NotMobile) => s(
            "Қазақстанның ұялы байланыс нөмірі болуы керек (700-702, 705-708, 747, 760-764, 771, 775-778, 785)",
            "должен быть казахстанским мобильным номером (700-702, 705-708, 747, 760-764, 771, 775-778, 785)",
        ),
        Rule::Key(KeyError::Encoding) => {
            s("ашық кілт base64url немесе base64 емес", "открытый ключ не в base64url или base64")
        }
        Rule::Key(KeyError::NotP256) => {
            s("ашық кілт P-256 кілті болуы керек", "открытый ключ должен быть ключом P-256")
        }
        Rule::Plate => s("көлік нөмірі емес", "не номер транспортного средства"),
        Rule::Article => s(
            "бұл қызметке белгілі Әкімшілік құқық бұзушылық туралы кодекстің жол қозғалысы бабы емес",
            "не статья КоАП о дорожном движении, известная этому сервису",
        ),
        Rule::City => [
            format!("бұл қызметке белгілі, жол камералары бар қала емес; мыналардың бірі: {}", city_names(|c| c.kk)),
            format!("не город с дорожными камерами, известный этому сервису; один из: {}", city_names(|c| c.ru)),
        ],
        Rule::DocumentKind => s("құжат түрі емес", "не вид документа"),
        Rule::NoMci => s("бұл күнге АЕК мәні бапталмаған", "для этой даты не задано значение МРП"),
        Rule::PastRetention(days) => [
            format!(
                "төлеу мерзімі {days} күннен бұрын өтіп кеткен: бұл қызмет оны сақтамайды; оны мәжбүрлеп орындауға жіберіңіз"
            ),
            format!(
                "срок оплаты истёк более {days} дней назад: сервис такие не хранит; направьте его на принудительное исполнение"
            ),
        ],
        Rule::SameNumber => s("бұл қазірдің өзінде сіздің нөміріңіз", "это уже ваш номер"),
        Rule::NotBalanceOperator => s(
            "балансынан тек Beeline және Activ нөмірлері төлей алады",
            "оплатить с баланса можно только с номеров Beeline и Activ",
        ),
        Rule::SearchTerms => s(
            "ЖСН бойынша; немесе тегі, аты және туған күні бойынша; немесе нөмір, куәлік және қала бойынша іздеңіз",
            "ищите по ИИН; или по фамилии, имени и дате рождения; или по номеру, свидетельству и городу",
        ),
        Rule::Shape(_) => {
            s("сұрау денесі күтілген пішінге сәйкес емес", "тело запроса не соответствует ожидаемой форме")
        }
        Rule::VehiclePresetOnly => s(
            "көлік пресеті тек көлік құралын тіркеу куәлігіне қолданылады",
            "пресет «транспорт» применяется только к свидетельству о регистрации ТС",
        ),
        Rule::NotLonger => s("рұқсат онсыз да ұзағырақ жарамды", "доступ и так действует дольше"),
    }
}

/// A field breaking a rule, as the answer (for checks made in `http/` itself).
pub fn invalid(field: impl Into<std::borrow::Cow<'static, str>>, rule: Rule) -> ApiError {
    Invalid { field: field.into(), rule }.into()
}

/// A number of seconds within `range`, or a 422 naming the field (never a panic on a huge value).
pub fn seconds_field(
    field: &'static str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<chrono::Duration, ApiError> {
    match chrono::Duration::try_seconds(value).filter(|_| range.contains(&value)) {
        Some(d) => Ok(d),
        None => Err(invalid(field, Rule::SecondsBetween { min: *range.start(), max: *range.end() })),
    }
}

/// A missing thing, as the answer.
pub fn not_found(t: Thing) -> ApiError {
    Failure::NotFound(t).into()
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        // serde's own message, in plain words and naming the field.
        if let Rule::Shape(serde) = &e.rule {
            return super::problem::shape_error(serde);
        }
        let [kk, ru] = rule(&e.rule);
        let f = &e.field;
        let answer = ApiError::new(K::Validation, tr(format!("{f}: {kk}"), format!("{f}: {ru}"), e.to_string()))
            .with("field", &*e.field);
        match e.rule {
            // The ids a program sends, beside the names a person reads.
            Rule::City => answer.with("accepted", egov_core::fines::CITIES.iter().map(|c| c.id).collect::<Vec<_>>()),
            _ => answer,
        }
    }
}

impl From<Failure> for ApiError {
    fn from(e: Failure) -> Self {
        match e {
            Failure::Invalid(i) => i.into(),
            Failure::NotFound(t) => {
                let [kk, ru] = thing(t);
                problem(K::NotFound, format!("{kk} табылмады"), format!("{ru}: не найдено"), &e)
            }
            Failure::Unavailable(d) => {
                let [kk, ru] = dependency(d);
                problem(
                    K::Unavailable,
                    format!("{kk} қазір қолжетімсіз; кейінірек қайталаңыз"),
                    format!("{ru} сейчас недоступен; повторите позже"),
                    &e,
                )
            }
            Failure::RateLimited { retry_after } => after_wait(
                K::RateLimited,
                retry_after,
                |w| format!("бұл мекенжайдан сұрау тым көп; {w} кейін қайталаңыз"),
                |w| format!("слишком много запросов с этого адреса; повторите через {w}"),
                &e,
            ),
            Failure::Store(s) => s.into(),
            Failure::Unknown(u) => u.into(),
            Failure::Random(r) => r.into(),
            Failure::Internal(what) => {
                tracing::error!(what, "broken invariant");
                ApiError::internal()
            }
        }
    }
}

impl From<OtpError> for ApiError {
    fn from(e: OtpError) -> Self {
        match e {
            OtpError::Common(f) => f.into(),
            OtpError::SmsPaused { retry_after } => retry(
                problem(
                    K::SmsPaused,
                    "осындай нөмірлерге SMS жіберу ерекше трафикке байланысты бірнеше минутқа тоқтатылды; цифрлық қолтаңбамен кіріңіз немесе кейінірек қайталаңыз",
                    "отправка SMS на такие номера приостановлена на несколько минут из-за необычного трафика; войдите с помощью ЭЦП или повторите позже",
                    &e,
                ),
                retry_after,
            ),
            OtpError::SendLimit { retry_after } => after_wait(
                K::OtpSendLimit,
                retry_after,
                |w| format!("жаңа кодты {w} кейін жіберуге болады"),
                |w| format!("новый код можно отправить через {w}"),
                &e,
            ),
            OtpError::Locked { retry_after } => after_wait(
                K::OtpLocked,
                retry_after,
                |w| format!("қате код тым көп: SMS арқылы кіру {w} бұғатталды"),
                |w| format!("слишком много неверных кодов: вход по SMS заблокирован на {w}"),
                &e,
            ),
            OtpError::Used => problem(
                K::OtpUsed,
                "бұл код қолданылып қойған; жаңасын сұраңыз",
                "этот код уже использован; запросите новый",
                &e,
            ),
            OtpError::Superseded => problem(
                K::OtpSuperseded,
                "жаңа код жіберілді; соңғысын енгізіңіз",
                "отправлен новый код; введите последний",
                &e,
            ),
            OtpError::Expired => problem(
                K::OtpExpired,
                "бұл кодтың мерзімі өтті; жаңасын сұраңыз",
                "срок действия кода истёк; запросите новый",
                &e,
            ),
            OtpError::Burned => problem(
                K::OtpBurned,
                "бұл кодқа қате әрекет тым көп; жаңасын сұраңыз",
                "слишком много неверных попыток для этого кода; запросите новый",
                &e,
            ),
            OtpError::Wrong { tries_left } => {
                let (kk, ru) = match tries_left {
                    1 => ("қате код; 1 әрекет қалды".to_string(), "неверный код; осталась 1 попытка".to_string()),
                    2.. => (
                        format!("қате код; {tries_left} әрекет қалды"),
                        format!(
                            "неверный код; осталось {}",
                            ru_count(tries_left.unsigned_abs(), ["попытка", "попытки", "попыток"])
                        ),
                    ),
                    _ => ("қате код; жаңасын сұраңыз".to_string(), "неверный код; запросите новый".to_string()),
                };
                problem(K::OtpWrong, kk, ru, &e).with("tries_left", tries_left)
            }
        }
    }
}

impl From<crate::service::session::SessionError> for ApiError {
    fn from(e: crate::service::session::SessionError) -> Self {
        use crate::service::session::SessionError as E;
        match e {
            E::Common(f) => f.into(),
            E::RefreshReplayed => problem(
                K::RefreshReplayed,
                "бұл жаңарту токені қолданылып қойған; қауіпсіздік үшін сеанс аяқталды, қайта кіріңіз",
                "этот токен обновления уже использован; сеанс завершён в целях безопасности, войдите снова",
                &e,
            ),
            E::RefreshInvalid => problem(
                K::RefreshInvalid,
                "белгісіз жаңарту токені; қайта кіріңіз",
                "неизвестный токен обновления; войдите снова",
                &e,
            ),
            E::Ended => problem(K::SessionEnded, "сеанс аяқталды; қайта кіріңіз", "сеанс завершён; войдите снова", &e),
        }
    }
}

impl From<crate::service::eds::EdsError> for ApiError {
    fn from(e: crate::service::eds::EdsError) -> Self {
        use crate::service::eds::EdsError as E;
        match e {
            E::Common(f) => f.into(),
            E::Session(s) => s.into(),
            E::ChallengeInvalid => problem(
                K::ChallengeInvalid,
                "сұрау белгісіз, мерзімі өткен немесе қолданылған; жаңасын сұраңыз",
                "запрос неизвестен, истёк или уже использован; запросите новый",
                &e,
            ),
            E::SignatureInvalid => {
                problem(K::EdsInvalid, "қолтаңбаны тексеру мүмкін болмады", "не удалось проверить подпись", &e)
            }
        }
    }
}

impl From<crate::service::org::OrgError> for ApiError {
    fn from(e: crate::service::org::OrgError) -> Self {
        use crate::service::org::OrgError as E;
        let e = match e {
            E::Common(f) => return f.into(),
            other => other,
        };
        match &e {
            E::Common(_) => unreachable!("returned above"),
            E::InvalidClient => problem(
                K::InvalidClient,
                "белгісіз клиент немесе қате құпия",
                "неизвестный клиент или неверный секрет",
                &e,
            )
            .with("error", "invalid_client"),
            E::TooManyFailures { retry_after } => retry(
                problem(
                    K::RateLimited,
                    "осы мекенжайдан бұл клиенттің қате құпиялары тым көп",
                    "слишком много неверных секретов этого клиента с этого адреса",
                    &e,
                ),
                *retry_after,
            ),
            E::ScopeNotGranted(scope) => problem(
                K::BadRequest,
                format!("{scope} рұқсаты бұл клиентке берілмеген"),
                format!("область {scope} не выдана этому клиенту"),
                &e,
            )
            .with("error", "invalid_scope"),
        }
    }
}

impl From<crate::service::phone::PhoneChangeError> for ApiError {
    fn from(e: crate::service::phone::PhoneChangeError) -> Self {
        use crate::service::phone::PhoneChangeError as E;
        match e {
            E::Common(f) => f.into(),
            E::Otp(o) => o.into(),
            E::Taken => problem(
                K::PhoneTaken,
                "бұл нөмір басқа eGov Mobile аккаунтына тиесілі",
                "этот номер принадлежит другому аккаунту eGov Mobile",
                &e,
            ),
        }
    }
}

impl From<crate::service::registration::RegistrationError> for ApiError {
    fn from(e: crate::service::registration::RegistrationError) -> Self {
        use crate::service::registration::RegistrationError as E;
        match e {
            E::Common(f) => f.into(),
            E::Otp(o) => o.into(),
            E::Session(s) => s.into(),
            E::Mismatch { attempts_left } => problem(
                K::IdentityMismatch,
                "ЖСН мен туған күні мемлекеттік тізілімге сәйкес келмейді",
                "ИИН и дата рождения не совпадают с государственным реестром",
                &e,
            )
            .with("attempts_left", attempts_left),
            E::NotConfirmed { attempts_left } => problem(
                K::IdentityNotConfirmed,
                "жеке басты тексеру сізді растамады",
                "проверка личности вас не подтвердила",
                &e,
            )
            .with("attempts_left", attempts_left),
            E::IdentityLocked { retry_after } => after_wait(
                K::IdentityLocked,
                retry_after,
                |w| format!("бұл ЖСН бойынша бүгін қате жауап тым көп; {w} кейін қайталаңыз"),
                |w| format!("слишком много неверных ответов по этому ИИН сегодня; повторите через {w}"),
                &e,
            ),
            E::RegistrationLocked { retry_after } => after_wait(
                K::IdentityLocked,
                retry_after,
                |w| format!("бұл тіркеуде қате жауап тым көп; тіркеуді қайта бастаңыз; {w} кейін қайталаңыз"),
                |w| {
                    format!(
                        "слишком много неверных ответов в этой регистрации; начните регистрацию заново; повторите через {w}"
                    )
                },
                &e,
            ),
            E::EvidenceRequired => problem(
                K::EvidenceRequired,
                "жеке басты растау қажет: алдымен қосымшада бетті тексеруден өтіңіз",
                "нужно подтверждение личности: сначала пройдите проверку лица в приложении",
                &e,
            )
            .with("field", "evidence"),
            E::AlreadyRegistered => problem(
                K::AlreadyRegistered,
                "бұл азамат тіркелген; кіріңіз немесе телефон нөмірін қосымшадан ауыстырыңыз",
                "этот гражданин уже зарегистрирован; войдите или смените номер телефона в приложении",
                &e,
            ),
            E::PhoneTaken => problem(
                K::PhoneTaken,
                "бұл телефон нөмірі осы уақытта тіркеліп қойды",
                "этот номер телефона тем временем уже зарегистрирован",
                &e,
            ),
            E::EnrolmentInvalid => problem(
                K::EnrolmentInvalid,
                "тіркеу белгісіз, мерзімі өткен немесе аяқталған; қайта бастаңыз",
                "регистрация устройства неизвестна, истекла или уже завершена; начните заново",
                &e,
            ),
            E::KeySignatureInvalid => problem(
                K::EdsInvalid,
                "қолтаңба ашық кілтке сәйкес келмейді",
                "подпись не соответствует открытому ключу",
                &e,
            ),
            E::DeviceNotWaiting => problem(
                K::DeviceNotWaiting,
                "бұл құрылғы растауды күтіп тұрған жоқ",
                "это устройство не ожидает подтверждения",
                &e,
            ),
            E::PairingCodeWrong { attempts_left } => {
                let (kk, ru) = if attempts_left == 0 {
                    (
                        "бұл жаңа құрылғыдағы код емес; құрылғы қабылданбады, онда қайта бастаңыз",
                        "это не код, который показывает новое устройство; устройство отклонено, начните на нём заново",
                    )
                } else {
                    ("бұл жаңа құрылғыдағы код емес", "это не код, который показывает новое устройство")
                };
                problem(K::PairingCodeWrong, kk, ru, &e).with("attempts_left", attempts_left)
            }
        }
    }
}

impl From<crate::service::documents::DocumentsError> for ApiError {
    fn from(e: crate::service::documents::DocumentsError) -> Self {
        use crate::service::documents::DocumentsError as E;
        match e {
            E::Common(f) => f.into(),
            E::Under16 { available_from } => {
                let on = egov_core::time::day_month_year(available_from);
                problem(
                    K::DocumentsNotAvailable,
                    format!("цифрлық құжаттар 16 жастан бастап қолжетімді, сізге {on} бастап"),
                    format!("цифровые документы доступны с 16 лет, вам — с {on}"),
                    &e,
                )
                .with("reason", "under-16")
                .with("available_from", available_from)
            }
            E::NoNationalId => problem(
                K::DocumentsNotAvailable,
                "цифрлық құжаттар үшін жеке куәлік қажет; сізге ол берілмеген",
                "для цифровых документов нужно удостоверение личности; оно вам не выдавалось",
                &e,
            )
            .with("reason", "no-national-id"),
        }
    }
}

/// Why a citizen's documents are suspended, in Kazakh and Russian.
fn suspension(s: egov_core::documents::Suspension) -> [&'static str; 2] {
    use egov_core::documents::Suspension as S;
    match s {
        S::NationalIdLost => [
            "жеке куәлік жоғалды деп хабарланған: жаңасы берілгенше цифрлық құжаттарды пайдалану мүмкін емес",
            "удостоверение личности заявлено утерянным: цифровые документы нельзя использовать до выдачи нового",
        ],
        S::NationalIdStolen => [
            "жеке куәлік ұрланды деп хабарланған: жаңасы берілгенше цифрлық құжаттарды пайдалану мүмкін емес",
            "удостоверение личности заявлено похищенным: цифровые документы нельзя использовать до выдачи нового",
        ],
    }
}

impl From<crate::service::sharing::SharingError> for ApiError {
    fn from(e: crate::service::sharing::SharingError) -> Self {
        use crate::service::sharing::SharingError as E;
        match e {
            E::Common(f) => f.into(),
            E::Documents(d) => d.into(),
            E::Inactive { document_valid } => {
                let (kk, ru) = if document_valid {
                    (
                        "бұл рұқсат қолданылған, қайтарылған немесе мерзімі өткен",
                        "этот доступ использован, отозван или истёк",
                    )
                } else {
                    (
                        "бұл рұқсаттың құжатын енді бөлісуге болмайды (қайтарылған, мерзімі өткен немесе тоқтатылған)",
                        "документом этого доступа больше нельзя поделиться (отозван, истёк или приостановлен)",
                    )
                };
                problem(K::ShareInactive, kk, ru, &e)
            }
            E::Suspended(s) => {
                let [kk, ru] = suspension(s);
                problem(K::DocumentsSuspended, kk, ru, &e).with("reason", s.as_str())
            }
            E::HolderSuspended(s) => {
                let [kk, ru] = suspension(s);
                problem(K::HolderDocumentsSuspended, kk, ru, &e).with("reason", s.as_str())
            }
            E::NotShareable(status) => {
                use egov_core::documents::DocumentStatus as D;
                let [kk, ru] = match status {
                    D::Expired => ["мерзімі өткен құжатпен бөлісуге болмайды", "истёкшим документом нельзя поделиться"],
                    D::Revoked => [
                        "жарамсыз деп танылған құжатпен бөлісуге болмайды",
                        "аннулированным документом нельзя поделиться",
                    ],
                    _ => ["бұл құжатпен қазір бөлісуге болмайды", "этим документом сейчас нельзя поделиться"],
                };
                problem(K::DocumentNotShareable, kk, ru, &e)
            }
            E::MaxLifetime => problem(
                K::ShareMaxLifetime,
                "рұқсат жасалғаннан кейін 30 минуттан артық жарамды бола алмайды; жаңасын жасаңыз",
                "доступ не может действовать дольше 30 минут с момента создания; создайте новый",
                &e,
            ),
            E::ShortCodeLocked { retry_after } => after_wait(
                K::ShortCodeLocked,
                retry_after,
                |w| format!("қате қысқа код тым көп; {w} кейін қайталаңыз немесе QR кодты сканерлеңіз"),
                |w| format!("слишком много неверных коротких кодов; повторите через {w} или отсканируйте QR-код"),
                &e,
            ),
            E::UnknownCode => problem(K::ShareNotFound, "мұндай коды бар рұқсат жоқ", "доступа с таким кодом нет", &e),
            E::Used => problem(K::ShareUsed, "бұл код қолданылып қойған", "этот код уже использован", &e),
            E::Revoked => problem(K::ShareRevoked, "иесі бұл кодты қайтарып алды", "владелец отозвал этот код", &e),
            E::Expired => problem(K::ShareExpired, "бұл кодтың мерзімі өтті", "срок действия этого кода истёк", &e),
            E::DocumentRevoked => problem(
                K::DocumentRevoked,
                "құжат жоғалған немесе ұрланған деп хабарланған және енді жарамсыз",
                "документ заявлен утерянным или похищенным и больше не действителен",
                &e,
            ),
        }
    }
}

impl From<crate::service::web_login::WebLoginError> for ApiError {
    fn from(e: crate::service::web_login::WebLoginError) -> Self {
        use crate::service::web_login::WebLoginError as E;
        match e {
            E::Common(f) => f.into(),
            E::Session(s) => s.into(),
            E::PollSecretInvalid => problem(
                K::PollSecretInvalid,
                "бұл сұрауды бұл браузер жасаған жоқ",
                "этот запрос создан не этим браузером",
                &e,
            ),
            E::QrReplaced => problem(
                K::QrExpired,
                "бұл QR код ауыстырылды немесе мерзімі өтті; экрандағы қазіргі кодты сканерлеңіз",
                "этот QR-код заменён или истёк; отсканируйте тот, что сейчас на экране",
                &e,
            ),
            E::QrExpired => problem(
                K::QrExpired,
                "бұл QR кодтың мерзімі өтті; экрандағы қазіргі кодты сканерлеңіз",
                "срок действия QR-кода истёк; отсканируйте тот, что сейчас на экране",
                &e,
            ),
            E::AlreadyScanned => problem(
                K::AlreadyScanned,
                "бұл кіру сұрауы сканерленіп қойған",
                "этот запрос на вход уже отсканирован",
                &e,
            ),
            E::ApprovalsLocked { retry_after } => retry(
                problem(
                    K::ApprovalsLocked,
                    "он минутта үш қате код: бұл аккаунттан сайтқа кіруді бір сағат растауға болмайды",
                    "три неверных кода за десять минут: входы на сайт с этого аккаунта нельзя подтверждать в течение часа",
                    &e,
                ),
                retry_after,
            ),
            E::CheckCodeWrong => problem(
                K::CheckCodeWrong,
                "бұл браузердегі код емес; қауіпсіздік үшін кіру сұрауы тоқтатылды",
                "это не тот код, что показывает браузер; запрос на вход завершён в целях безопасности",
                &e,
            ),
            E::LoginClosed => problem(
                K::RequestClosed,
                "бұл кіру сұрауы енді шешім күтпейді",
                "этот запрос на вход больше не ожидает решения",
                &e,
            ),
            E::LoginCodeInvalid => problem(
                K::LoginCodeInvalid,
                "кіру коды белгісіз, қолданылған немесе мерзімі өткен",
                "код входа неизвестен, использован или истёк",
                &e,
            ),
            E::KeyNotYours => problem(
                K::KeyNotYours,
                "бұл кілт сіздің тіркелген құрылғы кілттеріңіздің бірі емес",
                "этот ключ не входит в ваши зарегистрированные ключи устройств",
                &e,
            ),
            E::SignatureInvalid => problem(
                K::SignatureInvalid,
                "қолтаңба осы кілтпен осы сұраудың дайджестіне қойылмаған",
                "подпись сделана не этим ключом или не над дайджестом этого запроса",
                &e,
            ),
            E::SigningClosed => problem(
                K::RequestClosed,
                "бұл қол қою сұрауына қол қойылған немесе мерзімі өткен",
                "этот запрос на подпись уже подписан или истёк",
                &e,
            ),
        }
    }
}

/// What an acquirer's decline code means, in Kazakh and Russian (English: `payments::decline_message`).
fn decline_reason(code: &str) -> [&'static str; 2] {
    match code {
        "51" => ["картада қаражат жеткіліксіз", "недостаточно средств на карте"],
        "54" => ["картаның мерзімі өтіп кеткен", "срок действия карты истёк"],
        "57" => ["карта банкі интернетте төлеуге рұқсат бермейді", "банк карты не разрешает оплату в интернете"],
        "61" => ["сома карта лимитінен асады", "сумма превышает лимит карты"],
        "14" => ["карта жарамсыз", "карта недействительна"],
        _ => ["банк төлемді қабылдамады", "банк отклонил платёж"],
    }
}

impl From<crate::service::fines::FinesError> for ApiError {
    fn from(e: crate::service::fines::FinesError) -> Self {
        use crate::service::fines::FinesError as E;
        let e = match e {
            E::Common(f) => return f.into(),
            other => other,
        };
        match &e {
            E::Common(_) => unreachable!("returned above"),
            E::NotYours => problem(K::Forbidden, "тек өз айыппұлдарыңызды іздей аласыз", "искать можно только свои штрафы", &e),
            E::NotYourVehicle => problem(
                K::Forbidden,
                "бұл нөмір мен тіркеу куәлігі сізге тіркелген көлікке тиесілі емес",
                "этот номер и свидетельство о регистрации не относятся к зарегистрированному на вас транспорту",
                &e,
            ),
            E::Exists => problem(
                K::FineExists,
                "осы хаттама нөмірімен айыппұл тіркеліп қойған",
                "штраф с этим номером протокола уже зарегистрирован",
                &e,
            ),
            E::Declined { code, payment_id } => {
                let [kk, ru] = decline_reason(code);
                problem(
                    K::PaymentDeclined,
                    format!("төлем қабылданбады: {kk}; ақша алынған жоқ"),
                    format!("платёж отклонён: {ru}; деньги не списаны"),
                    &e,
                )
                .with("decline_code", code)
                .with("payment_id", payment_id)
            }
            E::Paid { payment_id } => {
                let answer = problem(K::FinePaid, "бұл айыппұл төленіп қойған", "этот штраф уже оплачен", &e);
                match payment_id {
                    Some(id) => answer.with("payment_id", id),
                    None => answer,
                }
            }
            E::NotPayable { payment_id } => problem(
                K::FineNotPayable,
                "бұл төлем ақша алынбай тұрып тоқтатылды; қайта төлеңіз",
                "этот платёж остановлен до списания; оплатите заново",
                &e,
            )
            .with("payment_id", payment_id),
            E::Refunded { payment_id, refunded } => problem(
                K::PaymentRefunded,
                "банк бұл төлемді айыппұл басқа жолмен төленгеннен кейін растады; ақша сізге қайтарылады",
                "банк подтвердил этот платёж после того, как штраф был оплачен другим способом; деньги возвращаются вам",
                &e,
            )
            .with("payment_id", payment_id)
            .with("refunded", refunded),
            E::InProgress => problem(
                K::PaymentInProgress,
                "бұл айыппұлдың басқа төлемі жүріп жатыр",
                "по этому штрафу уже идёт другой платёж",
                &e,
            ),
            E::IdempotencyKey => {
                let (min, max) = (crate::service::fines::IDEMPOTENCY_KEY_LEN.start(), crate::service::fines::IDEMPOTENCY_KEY_LEN.end());
                problem(
                    K::BadRequest,
                    format!("Idempotency-Key {min}-ден {max} көрінетін таңбаға дейін болуы керек"),
                    format!("Idempotency-Key должен содержать от {min} до {max} видимых символов"),
                    &e,
                )
            }
            E::IdempotencyKeyReused => problem(
                K::IdempotencyKeyReused,
                "бұл Idempotency-Key басқа төлемге қолданылған",
                "этот Idempotency-Key использован для другого платежа",
                &e,
            ),
            E::WebhookSignature => problem(
                K::Unauthorized,
                "webhook қолтаңбасы расталмады",
                "подпись webhook не прошла проверку",
                &e,
            ),
            E::BankReceiptRecorded => problem(
                K::BankReceiptRecorded,
                "бұл банктің түбіртек нөмірі басқа төлемге тіркелген",
                "этот номер квитанции банка уже записан для другого платежа",
                &e,
            ),
            E::Overpaid { amount, due, on } => {
                let on = egov_core::time::day_month_year(*on);
                problem(
                    K::Validation,
                    format!("amount_tiyn: {amount} тиын {on} күнгі төленуге тиісті {due} тиыннан көп"),
                    format!("amount_tiyn: {amount} тиын больше суммы {due} тиын к оплате на {on}"),
                    &e,
                )
                .with("field", "amount_tiyn")
                .with("due_tiyn", due)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egov_api::Lang;

    #[test]
    fn russian_counts_take_the_form_their_number_needs() {
        let forms = ["минуту", "минуты", "минут"];
        let said: Vec<String> = [1, 2, 4, 5, 11, 14, 21, 22, 25].into_iter().map(|n| ru_count(n, forms)).collect();
        assert_eq!(
            said,
            [
                "1 минуту",
                "2 минуты",
                "4 минуты",
                "5 минут",
                "11 минут",
                "14 минут",
                "21 минуту",
                "22 минуты",
                "25 минут"
            ]
        );
    }

    #[test]
    fn a_wait_is_worded_in_each_language_never_shorter_than_it_is() {
        let w = wait(61);
        assert_eq!((w.get(Lang::Kk), w.get(Lang::Ru), w.get(Lang::En)), ("2 минут", "2 минуты", "2 minutes"));
        let w = wait(3600 + 300);
        assert_eq!((w.get(Lang::Kk), w.get(Lang::Ru)), ("1 сағат 5 минут", "1 час 5 минут"));
    }
}
