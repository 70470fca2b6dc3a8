package i18n

// catalog is every message, assembled from one map per area of the app.
var catalog = merge(common, authMessages, adminMessages, peopleMessages, auditMessages, mailMessages, consentMessages, portalMessages, offboardingAdminMessages, offboardingMessages, cohortMessages)

func merge(parts ...map[string]msg) map[string]msg {
	out := map[string]msg{}
	for _, p := range parts {
		for k, v := range p {
			if _, dup := out[k]; dup {
				panic("i18n: duplicate message key " + k)
			}
			out[k] = v
		}
	}
	return out
}

var common = map[string]msg{
	"app.name":              {"Alumnet", "Alumnet"},
	"app.tagline":           {"Blijf verbonden met wie je organisatie verliet", "Stay connected with the people who left your organisation"},
	"nav.people":            {"Alumni", "Alumni"},
	"nav.admin":             {"Beheer", "Admin"},
	"nav.users":             {"Gebruikers", "Users"},
	"nav.units":             {"Eenheden", "Units"},
	"nav.audit":             {"Auditlog", "Audit log"},
	"nav.outbox":            {"Uitgaande mail", "Outbox"},
	"nav.logout":            {"Uitloggen", "Log out"},
	"nav.skip":              {"Naar de inhoud", "Skip to content"},
	"nav.menu":              {"Menu", "Menu"},
	"nav.main":              {"Hoofdnavigatie", "Main navigation"},
	"lang.switch":           {"Taal", "Language"},
	"lang.nl":               {"Nederlands", "Nederlands"},
	"lang.en":               {"English", "English"},
	"role.admin":            {"Beheerder", "Administrator"},
	"role.staff":            {"Medewerker", "Staff"},
	"role.coordinator":      {"Coördinator", "Coordinator"},
	"form.save":             {"Opslaan", "Save"},
	"form.cancel":           {"Annuleren", "Cancel"},
	"form.required":         {"verplicht", "required"},
	"form.optional":         {"optioneel", "optional"},
	"form.errors":           {"Controleer de gemarkeerde velden.", "Please check the marked fields."},
	"form.filter":           {"Filteren", "Filter"},
	"form.reset":            {"Wissen", "Clear"},
	"form.search":           {"Zoeken", "Search"},
	"form.any":              {"Alle", "Any"},
	"form.none":             {"Geen", "None"},
	"form.from":             {"van", "from"},
	"form.to":               {"tot en met", "to"},
	"form.yes":              {"Ja", "Yes"},
	"form.no":               {"Nee", "No"},
	"err.required":          {"Vul dit veld in.", "This field is required."},
	"err.too_long":          {"Maximaal %d tekens.", "At most %d characters."},
	"err.control":           {"Dit bevat onzichtbare tekens (zoals een tab, een regeleinde of een teken dat de schrijfrichting omdraait); typ het opnieuw.", "This contains invisible characters (such as a tab, a line break or a mark that turns the writing direction around); type it again."},
	"err.email":             {"Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.", "Enter a valid e-mail address, such as name@example.com."},
	"err.url":               {"Vul een volledig webadres in dat begint met https://.", "Enter a full web address starting with https://."},
	"err.date":              {"Vul een datum in als jjjj-mm-dd.", "Enter a date as yyyy-mm-dd."},
	"err.year":              {"Vul een jaartal in tussen 1900 en 2200.", "Enter a year between 1900 and 2200."},
	"err.choice":            {"Kies een van de opties.", "Choose one of the options."},
	"pager.next":            {"Volgende", "Next"},
	"pager.prev":            {"Eerste pagina", "First page"},
	"pager.label":           {"Paginering", "Pagination"},
	"error.title":           {"Er ging iets mis", "Something went wrong"},
	"error.400":             {"Dit verzoek klopt niet.", "This request is not valid."},
	"error.erased":          {"Deze persoon is gewist. Van het record is alleen een grafsteen over: er kan niets meer aan worden toegevoegd of gewijzigd.", "This person has been erased. Only a tombstone of the record is left: nothing can be added to it or changed any more."},
	"error.413":             {"Wat je stuurde is te groot. Een formulier neemt hoogstens 64 kB; een bestand heeft zijn eigen grens, die bij het veld staat.", "What you sent is too large. A form takes at most 64 kB; a file has its own limit, shown next to its field."},
	"error.403":             {"Je hebt geen toegang tot deze pagina.", "You do not have access to this page."},
	"error.403.csrf":        {"Dit formulier kwam niet van Alumnet zelf en is geweigerd.", "This form did not come from Alumnet itself and was refused."},
	"error.404":             {"Deze pagina bestaat niet (meer), of je hebt er geen toegang toe.", "This page does not exist (any more), or you have no access to it."},
	"error.405":             {"Deze actie is hier niet toegestaan.", "This action is not allowed here."},
	"error.500":             {"Er ging aan onze kant iets mis. Probeer het later opnieuw; de fout is vastgelegd.", "Something went wrong on our side. Please try again later; the error has been logged."},
	"error.back":            {"Naar de startpagina", "Go to the start page"},
	"flash.close":           {"Sluiten", "Close"},
	"date.never":            {"nooit", "never"},
	"kind.employment":       {"Dienstverband", "Employment"},
	"kind.study":            {"Opleiding", "Study"},
	"unitkind.organisation": {"Organisatie", "Organisation"},
	"unitkind.location":     {"Locatie", "Location"},
	"unitkind.department":   {"Afdeling", "Department"},
	"unitkind.team":         {"Team", "Team"},
	"unitkind.programme":    {"Opleiding", "Programme"},
	"unitkind.other":        {"Overig", "Other"},
}
