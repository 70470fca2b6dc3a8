package i18n

// mailMessages are the parts every outgoing mail shares and the admin's
// delivery log. The texts of each kind of mail live with their area
// (mail.invite.* in admin.go).
var mailMessages = map[string]msg{
	"mail.footer": {"Verstuurd via Alumnet.", "Sent through Alumnet."},

	"mailtabs.label":             {"Mail", "Mail"},
	"deliveries.title":           {"Verzendlog", "Delivery log"},
	"deliveries.sub":             {"Elke uitgaande mail met zijn status: in de wachtrij, verstuurd of mislukt, met de reden. Mislukte mail wordt later automatisch opnieuw geprobeerd.", "Every outgoing mail with its status: queued, sent or failed, with the reason. Failed mail is tried again automatically later."},
	"deliveries.filter.status":   {"Status", "Status"},
	"deliveries.status.queued":   {"In de wachtrij", "Queued"},
	"deliveries.status.sent":     {"Verstuurd", "Sent"},
	"deliveries.status.failed":   {"Mislukt", "Failed"},
	"deliveries.col.created":     {"In de wachtrij gezet", "Queued at"},
	"deliveries.col.to":          {"Aan", "To"},
	"deliveries.col.subject":     {"Onderwerp", "Subject"},
	"deliveries.col.status":      {"Status", "Status"},
	"deliveries.col.attempts":    {"Pogingen", "Attempts"},
	"deliveries.col.error":       {"Laatste fout", "Last error"},
	"deliveries.next_attempt":    {"Volgende poging: %s", "Next attempt: %s"},
	"deliveries.retrying":        {"Wordt opnieuw geprobeerd", "Will be tried again"},
	"deliveries.given_up":        {"Opgegeven: wordt niet meer geprobeerd", "Given up: will not be tried again"},
	"deliveries.empty":           {"Geen mail", "No mail"},
	"deliveries.empty.text":      {"Er is nog geen mail in de wachtrij gezet.", "No mail has been queued yet."},
	"deliveries.empty.filtered":  {"Geen mail met deze status.", "No mail with this status."},
	"deliveries.back":            {"Hele verzendlog", "Whole delivery log"},
	"deliveries.field.key":       {"Sleutel", "Key"},
	"deliveries.field.messageid": {"Message-ID", "Message-ID"},
	"deliveries.field.language":  {"Taal", "Language"},
	"deliveries.field.person":    {"Alumnus", "Alumnus"},
	"deliveries.field.sent_at":   {"Verstuurd op", "Sent at"},
	"deliveries.log":             {"Verloop", "History"},
	"deliveries.log.at":          {"Tijdstip", "Time"},
	"deliveries.log.attempt":     {"Poging", "Attempt"},
	"deliveries.log.detail":      {"Toelichting", "Detail"},
	"deliveries.retry":           {"Nu opnieuw proberen", "Try again now"},
	"deliveries.retry.done":      {"De mail aan %s wordt nu opnieuw geprobeerd.", "The mail to %s is being tried again now."},
	"deliveries.retry.gone":      {"Deze mail kan niet meer opnieuw worden geprobeerd.", "This mail can no longer be tried again."},
	"audit.action.mail.retry":    {"Mail opnieuw geprobeerd", "Mail tried again"},
	"audit.entity.mail_delivery": {"Mail", "Mail"},
}
