package demo

// The word lists below are common Dutch and English names, places and job
// titles; together they make registries that look like the ones the app is
// built for (a school's graduates and an employer's former staff).

var dutchFirstNames = []string{
	"Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Noah", "Luuk", "Bram", "Thijs",
	"Jesse", "Ruben", "Lars", "Stijn", "Tim", "Niels", "Jeroen", "Pieter", "Joost", "Maarten",
	"Wouter", "Bas", "Koen", "Sander", "Mark", "Dennis", "Erik", "Hans", "Henk", "Kees",
	"Jan", "Willem", "Gerrit", "Arjen", "Teun", "Guus", "Mees", "Siem", "Jurre", "Olivier",
	"Emma", "Julia", "Sophie", "Tess", "Anna", "Lotte", "Sanne", "Fleur", "Eva", "Lisa",
	"Femke", "Iris", "Noor", "Sara", "Lieke", "Esther", "Marieke", "Anouk", "Ilse", "Inge",
	"Annemarie", "Wilma", "Ingrid", "Karin", "Petra", "Monique", "Mirjam", "Hanneke", "Roos", "Yara",
	"Zoë", "Chloë", "Anaïs", "Noë", "Daniëlle", "Mariëlle", "René", "André", "José", "Geertje",
	"Mohamed", "Yusuf", "Ayoub", "Bilal", "Fatima", "Nour", "Sanaa", "Emre", "Elif", "Priya",
}

var dutchLastNames = []string{
	"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer",
	"de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
	"de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
	"van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
	"van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman",
	"Peeters", "de Kok", "van Wijk", "Kuipers", "Veenstra", "Post", "Kuijpers", "Timmermans", "van der Meulen", "Verbeek",
	"Bosman", "Wolters", "Hermans", "Groen", "Bouwman", "Evers", "Claassen", "van Rijn", "Koning", "Sluiter",
	"El Amrani", "Yılmaz", "Öztürk", "Bouzid", "Tahiri", "Ramdin", "Sewdien", "Nguyen", "Kaya", "Şahin",
}

var englishFirstNames = []string{
	"Oliver", "George", "Harry", "Jack", "Jacob", "Charlie", "Thomas", "James", "William", "Samuel",
	"Olivia", "Amelia", "Isla", "Ava", "Emily", "Isabella", "Mia", "Poppy", "Grace", "Charlotte",
	"Daniel", "Matthew", "Michael", "Sarah", "Rachel", "Hannah", "Rebecca", "Laura", "Kate", "Chloe",
}

var englishLastNames = []string{
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
	"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill", "Scott",
	"O'Brien", "McCarthy", "Murphy", "Kelly", "Fitzgerald",
}

var cities = []string{
	"Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere", "Breda", "Nijmegen",
	"Leiden", "Delft", "Haarlem", "Zoetermeer", "Alphen aan den Rijn", "Gouda", "Dordrecht", "Amersfoort", "Zwolle", "Arnhem",
	"Den Bosch", "Maastricht", "Enschede", "Apeldoorn", "Leeuwarden", "Katwijk", "Noordwijk", "Woerden", "Hilversum", "Antwerpen",
}

var employers = []string{
	"Gemeente Leiden", "LUMC", "Rabobank", "ASML", "Philips", "KLM", "Albert Heijn", "bol.com", "Coolblue", "PostNL",
	"Heijmans", "BAM", "Rijkswaterstaat", "Alrijne Ziekenhuis", "HMC", "Randstad", "Exact", "Booking.com", "Eneco", "NS",
	"Groene Hart Ziekenhuis", "Kinderopvang Humankind", "Stichting Zorggroep Rijnland", "ICT Groep", "Ordina", "Sogeti", "DHL", "Jumbo", "Action", "Thuiszorg West",
}

var jobTitles = []string{
	"Software developer", "Verpleegkundige", "Teamleider", "Logistiek medewerker", "Projectleider", "Adviseur", "Accountmanager",
	"Docent", "Beleidsmedewerker", "Data-analist", "HR-adviseur", "Monteur", "Werkvoorbereider", "Office manager",
	"Consultant", "Product owner", "Marketeer", "Zelfstandig ondernemer", "Onderzoeker", "Financieel controller",
	"Service engineer", "Kok", "Pedagogisch medewerker", "Functioneel beheerder",
}

var sectors = []string{
	"ICT", "Zorg en welzijn", "Onderwijs", "Overheid", "Logistiek", "Techniek", "Bouw", "Financiële dienstverlening",
	"Handel", "Horeca", "Zakelijke dienstverlening", "Energie",
}

var tagNames = []string{
	"Boemerang", "Gastdocent", "Ambassadeur", "Stageplek", "Klant", "Mentor", "Oud-bestuurslid",
	"Werkgever", "Praktijkopleider", "Alumniraad", "Nieuwsbrief", "Spreker",
}

// leaving reasons for employment affiliations, most common first (the
// domain texts: most leave of their own accord, some at the end of a
// contract, few through reorganisation or conflict).
var employmentReasons = []weighted{
	{"resignation", 55}, {"end_of_contract", 20}, {"retirement", 8}, {"reorganisation", 8},
	{"dismissal", 3}, {"conflict", 2}, {"other", 4},
}

var offerKinds = []string{"guest_lecture", "mentoring", "internship", "advisory", "vacancies"}
var needKinds = []string{"jobs", "courses", "coaching", "network"}

type weighted struct {
	value  string
	weight int
}
