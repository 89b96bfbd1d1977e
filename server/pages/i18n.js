// Labels in Kazakh, Russian and English. Elements carry data-i18n="key"; the chosen language is kept.
const T = {
  brand_tag: { kk: "Электрондық үкімет", ru: "Электронное правительство", en: "e-Government" },
  home_title: { kk: "eGov Mobile сервері", ru: "Сервер eGov Mobile", en: "eGov Mobile backend" },
  home_lead: { kk: "Цифрлық құжаттар, QR арқылы бір реттік көрсету, QR арқылы кіру және қол қою, айыппұлдар.", ru: "Цифровые документы, одноразовый показ по QR, вход и подпись по QR, штрафы.", en: "Digital documents, one-time sharing by QR code, QR login and signing, traffic fines." },
  login_title: { kk: "egov.kz-ке кіру", ru: "Вход на egov.kz", en: "Sign in to egov.kz" },
  login_lead: { kk: "eGov Mobile қосымшасын ашып, QR-кодты сканерлеңіз. Телефонда осы кодты теріңіз:", ru: "Откройте eGov Mobile, отсканируйте QR-код и введите на телефоне этот код:", en: "Open eGov Mobile, scan the QR code, and type this code on your phone:" },
  waiting: { kk: "Сканерлеуді күтудеміз…", ru: "Ожидаем сканирования…", en: "Waiting for your phone…" },
  scanned: { kk: "Телефонда растаңыз", ru: "Подтвердите на телефоне", en: "Confirm on your phone" },
  signed_in: { kk: "Сіз кірдіңіз:", ru: "Вы вошли как", en: "Signed in as" },
  denied: { kk: "Кіру қабылданбады", ru: "Вход отклонён", en: "Sign-in denied" },
  expired: { kk: "Сұрау мерзімі өтті", ru: "Срок запроса истёк", en: "The request expired" },
  again: { kk: "Қайта бастау", ru: "Начать заново", en: "Start again" },
  qr_refresh: { kk: "QR-код әр 60 секунд сайын жаңарады.", ru: "QR-код обновляется каждые 60 секунд.", en: "The QR code is renewed every 60 seconds." },
  sign_title: { kk: "QR арқылы қол қою", ru: "Подписание по QR", en: "Sign by QR code" },
  sign_lead: { kk: "Мәтін SHA-256 хэші ретінде ғана жіберіледі; eGov Mobile оған ЭЦҚ-мен қол қояды.", ru: "Текст отправляется только как хэш SHA-256; eGov Mobile подписывает его ЭЦП.", en: "Only the text's SHA-256 digest is sent; eGov Mobile signs it with your digital signature." },
  sign_text: { kk: "Қол қойылатын мәтін", ru: "Текст для подписи", en: "Text to sign" },
  sign_button: { kk: "eGov Mobile арқылы қол қою", ru: "Подписать через eGov Mobile", en: "Sign with eGov Mobile" },
  sign_waiting: { kk: "Қосымшада QR-кодты сканерлеп, қол қойыңыз…", ru: "Отсканируйте QR-код в приложении и подпишите…", en: "Scan the QR code in the app and sign…" },
  sign_done: { kk: "Қол қойылды және тексерілді", ru: "Подписано и проверено", en: "Signed and verified" },
  signer: { kk: "Қол қоюшы", ru: "Подписант", en: "Signer" },
  verify_title: { kk: "Құжатты тексеру", ru: "Проверка документа", en: "Verify a document" },
  verify_lead: { kk: "Ұйымдар үшін: азаматтың 12 таңбалы кодын енгізіңіз немесе QR сілтемесін қойыңыз.", ru: "Для организаций: введите 12-значный код гражданина или вставьте ссылку из QR.", en: "For organisations: type the citizen's 12-digit code or paste the QR link." },
  client_id: { kk: "Клиент ID", ru: "ID клиента", en: "Client ID" },
  client_secret: { kk: "Клиент құпиясы", ru: "Секрет клиента", en: "Client secret" },
  org_login: { kk: "Ұйым ретінде кіру", ru: "Войти как организация", en: "Sign in as the organisation" },
  code_or_url: { kk: "Код немесе QR сілтемесі", ru: "Код или ссылка из QR", en: "Code or QR link" },
  verify_button: { kk: "Тексеру", ru: "Проверить", en: "Verify" },
  sig_valid: { kk: "Қолтаңба жарамды", ru: "Подпись действительна", en: "Signature valid" },
  sig_invalid: { kk: "Қолтаңба жарамсыз", ru: "Подпись недействительна", en: "Signature invalid" },
  doc_valid: { kk: "Құжат жарамды", ru: "Документ действителен", en: "Document valid" },
  doc_revoked: { kk: "Құжат жойылған", ru: "Документ аннулирован", en: "Document revoked" },
  doc_suspended: { kk: "Құжат тоқтатылған: жеке куәлік жоғалған немесе ұрланған", ru: "Документ приостановлен: удостоверение личности утеряно или украдено", en: "Document suspended: the national ID is reported lost or stolen" },
  viewer: { kk: "Қараушы", ru: "Просмотрел", en: "Viewed by" },
  landing_share: { kk: "Бұл — бір реттік құжат коды. Оны eGov Mobile немесе уәкілетті тексеруші ғана ашады.", ru: "Это одноразовый код документа. Его открывает только eGov Mobile или уполномоченный проверяющий.", en: "This is a one-time document code. Only eGov Mobile or an authorised verifier can open it." },
  landing_login: { kk: "Бұл — egov.kz-ке кіру коды. eGov Mobile қосымшасындағы сканермен сканерлеңіз.", ru: "Это код входа на egov.kz. Отсканируйте его сканером в приложении eGov Mobile.", en: "This is an egov.kz sign-in code. Scan it with the scanner in the eGov Mobile app." },
  landing_sign: { kk: "Бұл — қол қою сұрауы. eGov Mobile қосымшасындағы сканермен сканерлеңіз.", ru: "Это запрос на подпись. Отсканируйте его сканером в приложении eGov Mobile.", en: "This is a signing request. Scan it with the scanner in the eGov Mobile app." },
  open_app: { kk: "eGov Mobile-ді ашыңыз", ru: "Откройте eGov Mobile", en: "Open eGov Mobile" },
  demo_help: { kk: "Демо: ұйым demo-verifier / demo-verifier-secret.", ru: "Демо: организация demo-verifier / demo-verifier-secret.", en: "Demo: organisation demo-verifier / demo-verifier-secret." },
};

export function lang() {
  const saved = localStorage.getItem("lang");
  if (saved && ["kk", "ru", "en"].includes(saved)) return saved;
  const nav = (navigator.language || "kk").slice(0, 2);
  return ["kk", "ru", "en"].includes(nav) ? nav : "kk";
}

export function t(key) {
  return (T[key] && T[key][lang()]) || key;
}

export function apply() {
  document.documentElement.lang = lang();
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("nav.langs button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang())));
}

export function setupLanguages(onChange) {
  document.querySelectorAll("nav.langs button").forEach((b) => b.addEventListener("click", () => {
    localStorage.setItem("lang", b.dataset.lang);
    apply();
    if (onChange) onChange();
  }));
  apply();
}

export async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const err = new Error((body && body.detail) || response.statusText);
    err.problem = body;
    err.status = response.status;
    throw err;
  }
  return body;
}

export function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** An object URL of the QR image of one of this service's URLs (drawn by the server from a POST body). */
export async function qrImage(url) {
  const response = await fetch("/v1/qr.svg", {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ data: url }),
  });
  if (!response.ok) throw new Error("the QR code could not be drawn");
  return URL.createObjectURL(await response.blob());
}
