package offboarding_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/form"
	"alumnet/internal/offboarding"
	"alumnet/internal/pgtest"
	"alumnet/internal/units"
)

// tplFixture is a fresh database with an admin to act as.
type tplFixture struct {
	pool  *pgxpool.Pool
	store *offboarding.Store
	audit *audit.Store
	admin int64
}

func newTplFixture(t *testing.T) tplFixture {
	t.Helper()
	d := pgtest.New(t)
	f := tplFixture{pool: d.Pool, store: offboarding.NewStore(d.Pool, nil, nil, nil, nil), audit: audit.NewStore(d.Pool)}
	if err := d.Pool.QueryRow(context.Background(), `INSERT INTO users (email, name, role)
		VALUES ('beheer@example.nl', 'Bea Beheer', 'admin') RETURNING id`).Scan(&f.admin); err != nil {
		t.Fatal(err)
	}
	return f
}

// actions lists the audit actions written so far, oldest first.
func (f tplFixture) actions(t *testing.T) []string {
	t.Helper()
	entries, _, err := f.audit.List(context.Background(), audit.Filter{ActorID: f.admin, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[len(entries)-1-i] = e.Action
	}
	return out
}

func (f tplFixture) titles(t *testing.T, key string, archived bool) []string {
	t.Helper()
	items, err := f.store.TemplateItems(context.Background(), key, archived)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.TitleEN
	}
	return out
}

func (f tplFixture) item(t *testing.T, key, title, kind string, offset int, required bool) offboarding.TemplateItem {
	t.Helper()
	in := offboarding.TemplateItem{DepartureType: key, TitleNL: title + " (nl)", TitleEN: title, Role: "hr", Kind: kind,
		OffsetDays: offset, Required: required}
	in.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		t.Fatalf("item %s invalid: %v", title, errs)
	}
	it, err := f.store.CreateTemplateItem(context.Background(), f.admin, in)
	if err != nil {
		t.Fatalf("create item %s: %v", title, err)
	}
	return it
}

func TestDefaultTemplates(t *testing.T) {
	f := newTplFixture(t)
	ctx := context.Background()
	types, err := f.store.DepartureTypes(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range types {
		keys = append(keys, d.Key)
	}
	want := []string{"resignation", "end_of_contract", "retirement", "reorganisation", "dismissal", "conflict", "graduation", "early_leaver"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("default types %v, want %v", keys, want)
	}
	counts, err := f.store.TemplateItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range types {
		items, err := f.store.TemplateItems(ctx, d.Key, false)
		if err != nil {
			t.Fatal(err)
		}
		wantItems, wantRequired := 7, 5
		if d.Audience == "school" {
			wantItems, wantRequired = 4, 1
		}
		if len(items) != wantItems || counts[d.Key] != (offboarding.ItemCount{Items: wantItems, Required: wantRequired}) {
			t.Errorf("%s: %d items, counts %+v; want %d items, %d required", d.Key, len(items), counts[d.Key], wantItems, wantRequired)
		}
		kinds := map[string]int{}
		for i, it := range items {
			kinds[it.Kind]++
			if i > 0 && it.Position <= items[i-1].Position {
				t.Errorf("%s: items out of order at %d", d.Key, i)
			}
			if errs := it.Validate(); len(errs) > 0 {
				t.Errorf("%s: default item %q does not pass validation: %v", d.Key, it.TitleEN, errs)
			}
		}
		if kinds[offboarding.KindExitInterview] != 1 || kinds[offboarding.KindAlumniInvitation] != 1 {
			t.Errorf("%s: kinds %v, want one exit interview and one invitation", d.Key, kinds)
		}
		if caution := d.Key == "dismissal" || d.Key == "conflict"; d.Caution != caution {
			t.Errorf("%s: caution %v", d.Key, d.Caution)
		}
		if errs := d.Validate(true); len(errs) > 0 {
			t.Errorf("%s: default type does not pass validation: %v", d.Key, errs)
		}
	}
	items, _ := f.store.TemplateItems(ctx, "resignation", false)
	if items[0].Kind != offboarding.KindExitInterview || items[0].OffsetDays != -10 || items[0].Role != "hr" || !items[0].Required {
		t.Errorf("first employer item: %+v", items[0])
	}
	if _, err := f.store.DepartureTypeByKey(ctx, "sabbatical"); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := f.store.TemplateItemByID(ctx, 999999); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("unknown item: %v", err)
	}
}

func TestDepartureTypeValidate(t *testing.T) {
	valid := offboarding.DepartureType{Key: "sabbatical", NameNL: "Sabbatical", NameEN: "Sabbatical", Audience: "employer",
		LeavingReason: "other", Active: true}
	tests := []struct {
		name    string
		change  func(*offboarding.DepartureType)
		withKey bool
		want    form.Errors
	}{
		{"valid", func(*offboarding.DepartureType) {}, true, form.Errors{}},
		{"key required", func(d *offboarding.DepartureType) { d.Key = "" }, true, form.Of("key", "err.required")},
		{"key too short", func(d *offboarding.DepartureType) { d.Key = "s" }, true, form.Of("key", "offboarding.admin.err.key")},
		{"key starts with a digit", func(d *offboarding.DepartureType) { d.Key = "2nd_career" }, true, form.Of("key", "offboarding.admin.err.key")},
		{"key with a dash", func(d *offboarding.DepartureType) { d.Key = "early-retirement" }, true, form.Of("key", "offboarding.admin.err.key")},
		{"key too long", func(d *offboarding.DepartureType) { d.Key = "a" + strings.Repeat("b", 40) }, true, form.Of("key", "offboarding.admin.err.key")},
		{"key of 40 characters", func(d *offboarding.DepartureType) { d.Key = "a" + strings.Repeat("b", 39) }, true, form.Errors{}},
		{"key not checked on update", func(d *offboarding.DepartureType) { d.Key = "" }, false, form.Errors{}},
		{"names required", func(d *offboarding.DepartureType) { d.NameNL, d.NameEN = "", "" }, true,
			form.Errors{"name_nl": {Key: "err.required"}, "name_en": {Key: "err.required"}}},
		{"name of 100 characters", func(d *offboarding.DepartureType) { d.NameEN = strings.Repeat("é", 100) }, true, form.Errors{}},
		{"name too long", func(d *offboarding.DepartureType) { d.NameNL = strings.Repeat("é", 101) }, true, form.Errors{"name_nl": {Key: "err.too_long", N: 100}}},
		{"unknown audience", func(d *offboarding.DepartureType) { d.Audience = "club" }, true, form.Of("audience", "err.choice")},
		{"unknown leaving reason", func(d *offboarding.DepartureType) { d.LeavingReason = "bored" }, true, form.Of("leaving_reason", "err.choice")},
		{"sort order out of range", func(d *offboarding.DepartureType) { d.SortOrder = -100001 }, true,
			form.Of("sort_order", "offboarding.admin.err.sort_order")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid
			tt.change(&d)
			if got := d.Validate(tt.withKey); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate = %v, want %v", got, tt.want)
			}
		})
	}
	d := offboarding.DepartureType{Key: "  Sabbatical ", NameNL: "  Lang \t verlof ", NameEN: "Long\nleave"}
	d.Normalize()
	if d.Key != "sabbatical" || d.NameNL != "Lang verlof" || d.NameEN != "Long leave" {
		t.Errorf("Normalize: %+v", d)
	}
}

func TestTemplateItemValidate(t *testing.T) {
	valid := offboarding.TemplateItem{TitleNL: "Sleutels inleveren", TitleEN: "Hand in keys", Role: "facilities",
		Kind: offboarding.KindPlain, OffsetDays: -1, Required: true}
	tests := []struct {
		name   string
		change func(*offboarding.TemplateItem)
		want   form.Errors
	}{
		{"valid", func(*offboarding.TemplateItem) {}, form.Errors{}},
		{"titles required", func(it *offboarding.TemplateItem) { it.TitleNL, it.TitleEN = "", "" },
			form.Errors{"title_nl": {Key: "err.required"}, "title_en": {Key: "err.required"}}},
		{"title of 200 characters", func(it *offboarding.TemplateItem) { it.TitleNL = strings.Repeat("ë", 200) }, form.Errors{}},
		{"title too long", func(it *offboarding.TemplateItem) { it.TitleEN = strings.Repeat("x", 201) }, form.Errors{"title_en": {Key: "err.too_long", N: 200}}},
		{"descriptions optional", func(it *offboarding.TemplateItem) { it.DescriptionNL, it.DescriptionEN = "", "" }, form.Errors{}},
		{"description too long", func(it *offboarding.TemplateItem) { it.DescriptionNL = strings.Repeat("x", 2001) },
			form.Errors{"description_nl": {Key: "err.too_long", N: 2000}}},
		{"unknown role", func(it *offboarding.TemplateItem) { it.Role = "ceo" }, form.Of("role", "err.choice")},
		{"unknown kind", func(it *offboarding.TemplateItem) { it.Kind = "party" }, form.Of("kind", "err.choice")},
		{"a year before", func(it *offboarding.TemplateItem) { it.OffsetDays = -365 }, form.Errors{}},
		{"a year after", func(it *offboarding.TemplateItem) { it.OffsetDays = 365 }, form.Errors{}},
		{"more than a year before", func(it *offboarding.TemplateItem) { it.OffsetDays = -366 },
			form.Of("offset_days", "offboarding.admin.err.offset")},
		{"more than a year after", func(it *offboarding.TemplateItem) { it.OffsetDays = 366 },
			form.Of("offset_days", "offboarding.admin.err.offset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := valid
			tt.change(&it)
			if got := it.Validate(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate = %v, want %v", got, tt.want)
			}
		})
	}
	it := offboarding.TemplateItem{TitleNL: " Laptop   inleveren ", DescriptionEN: "  First line  \r\n\r\nSecond line\t\n "}
	it.Normalize()
	if it.TitleNL != "Laptop inleveren" || it.DescriptionEN != "First line\n\nSecond line" {
		t.Errorf("Normalize: %q %q", it.TitleNL, it.DescriptionEN)
	}
}

func TestCreateAndUpdateDepartureType(t *testing.T) {
	f := newTplFixture(t)
	ctx := context.Background()
	in := offboarding.DepartureType{Key: "sabbatical", NameNL: "Sabbatical", NameEN: "Sabbatical", Audience: "employer",
		LeavingReason: "other", Active: true, SortOrder: 90}
	created, err := f.store.CreateDepartureType(ctx, f.admin, in)
	if err != nil || created != in {
		t.Fatalf("create: %+v, %v", created, err)
	}
	if _, err := f.store.CreateDepartureType(ctx, f.admin, in); !errors.Is(err, offboarding.ErrDuplicateType) {
		t.Fatalf("duplicate key: %v", err)
	}
	if items, err := f.store.TemplateItems(ctx, "sabbatical", true); err != nil || len(items) != 0 {
		t.Fatalf("a new type starts with an empty checklist: %v, %v", items, err)
	}
	counts, _ := f.store.TemplateItemCounts(ctx)
	if c, ok := counts["sabbatical"]; ok {
		t.Errorf("empty checklist counted: %+v", c)
	}

	// Saving without changes writes nothing.
	if _, err := f.store.UpdateDepartureType(ctx, f.admin, "sabbatical", in); err != nil {
		t.Fatal(err)
	}
	up := in
	up.Key = "ignored" // the key is fixed
	up.NameNL, up.Caution, up.Active, up.Audience, up.LeavingReason, up.SortOrder = "Lang verlof", true, false, "school", "early_leaver", 5
	saved, err := f.store.UpdateDepartureType(ctx, f.admin, "sabbatical", up)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Key != "sabbatical" || saved.NameNL != "Lang verlof" || !saved.Caution || saved.Active || saved.Audience != "school" ||
		saved.LeavingReason != "early_leaver" || saved.SortOrder != 5 {
		t.Errorf("after update: %+v", saved)
	}
	got, err := f.store.DepartureTypeByKey(ctx, "sabbatical")
	if err != nil || got != saved {
		t.Errorf("read back %+v, %v", got, err)
	}
	if _, err := f.store.DepartureTypeByKey(ctx, "ignored"); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("the key changed: %v", err)
	}
	if _, err := f.store.UpdateDepartureType(ctx, f.admin, "nope", up); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("update of an unknown type: %v", err)
	}

	// Switched off: only listed on request.
	active, _ := f.store.DepartureTypes(ctx, false)
	all, _ := f.store.DepartureTypes(ctx, true)
	if len(active) != 8 || len(all) != 9 || all[0].Key != "sabbatical" {
		t.Errorf("lists: %d active, %d in all, first %s", len(active), len(all), all[0].Key)
	}

	if acts := f.actions(t); !reflect.DeepEqual(acts, []string{"departure_type.create", "departure_type.update"}) {
		t.Fatalf("audit actions %v", acts)
	}
	entries, _, _ := f.audit.List(ctx, audit.Filter{Action: "departure_type.update"})
	changes, _ := entries[0].Details["changes"].(map[string]any)
	if entries[0].Details["key"] != "sabbatical" || len(changes) != 6 || changes["name_en"] != nil {
		t.Errorf("update audit details: %v", entries[0].Details)
	}
}

func TestTemplateItemLifecycle(t *testing.T) {
	f := newTplFixture(t)
	ctx := context.Background()
	if _, err := f.store.CreateDepartureType(ctx, f.admin, offboarding.DepartureType{Key: "secondment_end", NameNL: "Einde detachering",
		NameEN: "End of secondment", Audience: "employer", LeavingReason: "end_of_contract", Active: true}); err != nil {
		t.Fatal(err)
	}
	badge := f.item(t, "secondment_end", "Return badge", offboarding.KindPlain, 0, true)
	talk := f.item(t, "secondment_end", "Exit talk", offboarding.KindExitInterview, -14, true)
	card := f.item(t, "secondment_end", "Send a card", offboarding.KindPlain, 7, false)
	if badge.Position >= talk.Position || talk.Position >= card.Position {
		t.Fatalf("new items go to the end: %d %d %d", badge.Position, talk.Position, card.Position)
	}
	if got := f.titles(t, "secondment_end", false); !reflect.DeepEqual(got, []string{"Return badge", "Exit talk", "Send a card"}) {
		t.Fatalf("order %v", got)
	}

	// One exit interview per checklist; an unknown type is refused.
	second := offboarding.TemplateItem{DepartureType: "secondment_end", TitleNL: "Nog een", TitleEN: "Another", Role: "hr",
		Kind: offboarding.KindExitInterview}
	if _, err := f.store.CreateTemplateItem(ctx, f.admin, second); !errors.Is(err, offboarding.ErrKindTaken) {
		t.Fatalf("second exit interview: %v", err)
	}
	second.DepartureType = "nope"
	second.Kind = offboarding.KindPlain
	if _, err := f.store.CreateTemplateItem(ctx, f.admin, second); !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("item for an unknown type: %v", err)
	}
	if _, err := f.store.UpdateTemplateItem(ctx, f.admin, card.ID, offboarding.TemplateItem{TitleNL: "Kaart", TitleEN: "Card",
		Role: "manager", Kind: offboarding.KindExitInterview}); !errors.Is(err, offboarding.ErrKindTaken) {
		t.Fatalf("changing a plain item into a second exit interview: %v", err)
	}

	// Update: texts, role, offset, required; the place and type stay.
	up := card
	up.DepartureType, up.Position = "resignation", 1
	up.TitleNL, up.TitleEN, up.DescriptionEN, up.Role, up.OffsetDays, up.Required = "Kaart sturen", "Send a card", "With the whole team.", "manager", 3, true
	saved, err := f.store.UpdateTemplateItem(ctx, f.admin, card.ID, up)
	if err != nil {
		t.Fatal(err)
	}
	if saved.DepartureType != "secondment_end" || saved.Position != card.Position || saved.TitleNL != "Kaart sturen" ||
		saved.Role != "manager" || saved.OffsetDays != 3 || !saved.Required || saved.DescriptionEN != "With the whole team." {
		t.Errorf("after update: %+v", saved)
	}
	if _, err := f.store.UpdateTemplateItem(ctx, f.admin, card.ID, up); err != nil { // no changes: no audit entry
		t.Fatal(err)
	}
	if _, err := f.store.UpdateTemplateItem(ctx, f.admin, 999999, up); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("update of an unknown item: %v", err)
	}

	// Move: the last one up, the first one up stays.
	if err := f.store.MoveTemplateItem(ctx, f.admin, card.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MoveTemplateItem(ctx, f.admin, badge.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := f.titles(t, "secondment_end", false); !reflect.DeepEqual(got, []string{"Return badge", "Send a card", "Exit talk"}) {
		t.Fatalf("order after move %v", got)
	}
	if err := f.store.MoveTemplateItem(ctx, f.admin, badge.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := f.titles(t, "secondment_end", false); !reflect.DeepEqual(got, []string{"Send a card", "Return badge", "Exit talk"}) {
		t.Fatalf("order after moving down %v", got)
	}

	// Archive: off the checklist, not counted, still readable; twice is once.
	if err := f.store.ArchiveTemplateItem(ctx, f.admin, talk.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ArchiveTemplateItem(ctx, f.admin, talk.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.titles(t, "secondment_end", false); !reflect.DeepEqual(got, []string{"Send a card", "Return badge"}) {
		t.Fatalf("active after archive %v", got)
	}
	if got := f.titles(t, "secondment_end", true); len(got) != 3 {
		t.Fatalf("with archived %v", got)
	}
	counts, _ := f.store.TemplateItemCounts(ctx)
	if counts["secondment_end"] != (offboarding.ItemCount{Items: 2, Required: 2}) {
		t.Errorf("counts after archive: %+v", counts["secondment_end"])
	}
	if it, err := f.store.TemplateItemByID(ctx, talk.ID); err != nil || !it.Archived() {
		t.Errorf("archived item: %+v, %v", it, err)
	}
	if err := f.store.MoveTemplateItem(ctx, f.admin, talk.ID, true); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("moving an archived item: %v", err)
	}

	// Archived items are not copied into a new case.
	us := units.NewStore(f.pool)
	unit, err := us.Create(ctx, 0, nil, "Detacheerder BV", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	var person int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO persons (first_name, last_name) VALUES ('Piet', 'Post') RETURNING id`).Scan(&person); err != nil {
		t.Fatal(err)
	}
	caseID, err := f.store.Start(ctx, units.Everyone(), f.admin, offboarding.StartInput{PersonID: person, DepartureType: "secondment_end",
		UnitID: unit.ID, LeavingDate: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	rows, err := f.pool.Query(ctx, `SELECT title_en FROM offboarding_items WHERE case_id = $1 ORDER BY position, id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		copied = append(copied, s)
	}
	if rows.Err() != nil || !reflect.DeepEqual(copied, []string{"Send a card", "Return badge"}) {
		t.Fatalf("case checklist %v, %v", copied, rows.Err())
	}

	// A new exit interview meanwhile: the old one cannot come back beside it.
	newer := f.item(t, "secondment_end", "New exit talk", offboarding.KindExitInterview, -7, true)
	if err := f.store.RestoreTemplateItem(ctx, f.admin, talk.ID); !errors.Is(err, offboarding.ErrKindTaken) {
		t.Fatalf("restore beside another exit interview: %v", err)
	}
	if err := f.store.ArchiveTemplateItem(ctx, f.admin, newer.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RestoreTemplateItem(ctx, f.admin, talk.ID); err != nil {
		t.Fatal(err)
	}
	if it, _ := f.store.TemplateItemByID(ctx, talk.ID); it.Archived() {
		t.Error("restored item still archived")
	}
	if err := f.store.RestoreTemplateItem(ctx, f.admin, 999999); !errors.Is(err, offboarding.ErrNotFound) {
		t.Errorf("restore of an unknown item: %v", err)
	}

	// The case writes its own entries; these are the templates'.
	var mine []string
	for _, a := range f.actions(t) {
		if strings.HasPrefix(a, "departure_type.") || strings.HasPrefix(a, "checklist_item.") {
			mine = append(mine, a)
		}
	}
	want := []string{"departure_type.create", "checklist_item.create", "checklist_item.create", "checklist_item.create",
		"checklist_item.update", "checklist_item.move", "checklist_item.move", "checklist_item.archive",
		"checklist_item.create", "checklist_item.archive", "checklist_item.restore"}
	if !reflect.DeepEqual(mine, want) {
		t.Errorf("audit actions %v, want %v", mine, want)
	}
	entries, _, _ := f.audit.List(ctx, audit.Filter{Action: "checklist_item.update"})
	changes, _ := entries[0].Details["changes"].(map[string]any)
	if *entries[0].EntityID != card.ID || len(changes) != 5 || changes["kind"] != nil || changes["title_en"] != nil {
		t.Errorf("item update audit: %v", entries[0].Details)
	}
}
