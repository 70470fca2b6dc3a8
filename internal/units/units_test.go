package units

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func newTestStore(t *testing.T) (*Store, *pgxpool.Pool) {
	t.Helper()
	d := pgtest.New(t)
	return NewStore(d.Pool), d.Pool
}

func mustCreate(t *testing.T, s *Store, parent *int64, name, kind string) Unit {
	t.Helper()
	u, err := s.Create(context.Background(), 0, parent, name, kind)
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	return u
}

func mustByID(t *testing.T, s *Store, id int64) Unit {
	t.Helper()
	u, err := s.ByID(context.Background(), id)
	if err != nil {
		t.Fatalf("ByID(%d): %v", id, err)
	}
	return u
}

func ptr(id int64) *int64 { return &id }

func names(us []Unit) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func TestCreate(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	root := mustCreate(t, s, nil, "  Groenhorst College ", "organisation")
	loc := mustCreate(t, s, &root.ID, "Barneveld", "location")
	prog := mustCreate(t, s, &loc.ID, "Dierverzorging", "programme")

	tests := []struct {
		u      Unit
		name   string
		kind   string
		parent *int64
		path   []int64
		depth  int
	}{
		{root, "Groenhorst College", "organisation", nil, []int64{root.ID}, 0},
		{loc, "Barneveld", "location", &root.ID, []int64{root.ID, loc.ID}, 1},
		{prog, "Dierverzorging", "programme", &loc.ID, []int64{root.ID, loc.ID, prog.ID}, 2},
	}
	for _, tt := range tests {
		// Both what Create returns and what is stored.
		for _, u := range []Unit{tt.u, mustByID(t, s, tt.u.ID)} {
			if u.Name != tt.name || u.Kind != tt.kind || !slices.Equal(u.Path, tt.path) || u.Depth() != tt.depth ||
				(u.ParentID == nil) != (tt.parent == nil) || (u.ParentID != nil && *u.ParentID != *tt.parent) ||
				u.Archived() || u.CreatedAt.IsZero() {
				t.Errorf("unit %d = %+v (depth %d); want name %q, kind %s, parent %v, path %v, depth %d",
					u.ID, u, u.Depth(), tt.name, tt.kind, tt.parent, tt.path, tt.depth)
			}
		}
	}
	if _, err := s.ByID(ctx, prog.ID+1000); !errors.Is(err, ErrNotFound) {
		t.Errorf("ByID(unknown) = %v, want ErrNotFound", err)
	}
}

func TestCreateNames(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	root := mustCreate(t, s, nil, "School", "organisation")
	a := mustCreate(t, s, &root.ID, "Locatie A", "location")
	b := mustCreate(t, s, &root.ID, "Locatie B", "location")
	mustCreate(t, s, &a.ID, "Zorg", "programme")
	old := mustCreate(t, s, &b.ID, "Oud", "programme")
	if err := s.SetArchived(ctx, 0, old.ID, true); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		what   string
		parent *int64
		name   string
		want   error
	}{
		{"same name, same parent", &a.ID, "Zorg", ErrDuplicateName},
		{"same name in another case", &a.ID, "ZORG", ErrDuplicateName},
		{"same name with spaces", &a.ID, "  zorg ", ErrDuplicateName},
		{"same name at the root", nil, "school", ErrDuplicateName},
		{"same name, other parent", &b.ID, "Zorg", nil},
		{"name of the parent", &a.ID, "Locatie A", nil},
		{"name of a root, below it", &root.ID, "School", nil},
		{"name of an archived sibling", &b.ID, "Oud", nil},
		{"unknown parent", ptr(old.ID + 1000), "Nieuw", ErrNotFound},
		{"archived parent", &old.ID, "Nieuw", ErrNotFound},
	}
	for _, tt := range tests {
		u, err := s.Create(ctx, 0, tt.parent, tt.name, "programme")
		if !errors.Is(err, tt.want) || (tt.want != nil && err != tt.want) { //nolint:errorlint // exact sentinel
			t.Errorf("%s: Create(%v, %q) = %v, want %v", tt.what, tt.parent, tt.name, err, tt.want)
		}
		if tt.want == nil && u.ID == 0 {
			t.Errorf("%s: no unit returned", tt.what)
		}
		if tt.want != nil && u.ID != 0 {
			t.Errorf("%s: failed Create returned unit %d", tt.what, u.ID)
		}
	}
	// The failed attempts left nothing behind.
	all, err := s.All(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5+4 {
		t.Errorf("units after the attempts: %v, want 9", names(all))
	}
	// A database error is not mistaken for one of the sentinels.
	if _, err := s.Create(ctx, 0, nil, "Iets", "planet"); err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrDuplicateName) {
		t.Errorf("Create with an unknown kind = %v, want a database error", err)
	}
	if _, err := s.Create(ctx, 0, nil, "   ", "other"); err == nil {
		t.Error("Create with a blank name succeeded")
	}
}

// tree builds A > B > C > D and a second root E; B also has a child F.
func tree(t *testing.T, s *Store) (a, b, c, d, e, f Unit) {
	t.Helper()
	a = mustCreate(t, s, nil, "A", "organisation")
	b = mustCreate(t, s, &a.ID, "B", "location")
	c = mustCreate(t, s, &b.ID, "C", "department")
	d = mustCreate(t, s, &c.ID, "D", "team")
	e = mustCreate(t, s, nil, "E", "organisation")
	f = mustCreate(t, s, &b.ID, "F", "team")
	return
}

func paths(t *testing.T, s *Store) map[int64][]int64 {
	t.Helper()
	all, err := s.All(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64][]int64{}
	for _, u := range all {
		m[u.ID] = u.Path
		// The parent is always the path's next-to-last entry.
		var wantParent *int64
		if len(u.Path) > 1 {
			wantParent = &u.Path[len(u.Path)-2]
		}
		if (u.ParentID == nil) != (wantParent == nil) || (u.ParentID != nil && *u.ParentID != *wantParent) || u.Path[len(u.Path)-1] != u.ID {
			t.Errorf("unit %s: parent %v does not match path %v", u.Name, u.ParentID, u.Path)
		}
	}
	return m
}

func TestUpdateMove(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	a, b, c, d, e, f := tree(t, s)

	steps := []struct {
		what   string
		parent *int64
		want   map[int64][]int64
	}{
		{"B below E", &e.ID, map[int64][]int64{
			a.ID: {a.ID}, b.ID: {e.ID, b.ID}, c.ID: {e.ID, b.ID, c.ID}, d.ID: {e.ID, b.ID, c.ID, d.ID},
			e.ID: {e.ID}, f.ID: {e.ID, b.ID, f.ID},
		}},
		{"B to the root", nil, map[int64][]int64{
			a.ID: {a.ID}, b.ID: {b.ID}, c.ID: {b.ID, c.ID}, d.ID: {b.ID, c.ID, d.ID},
			e.ID: {e.ID}, f.ID: {b.ID, f.ID},
		}},
		{"B back below A", &a.ID, map[int64][]int64{
			a.ID: {a.ID}, b.ID: {a.ID, b.ID}, c.ID: {a.ID, b.ID, c.ID}, d.ID: {a.ID, b.ID, c.ID, d.ID},
			e.ID: {e.ID}, f.ID: {a.ID, b.ID, f.ID},
		}},
	}
	for _, st := range steps {
		if err := s.Update(ctx, 0, b.ID, "B", "location", st.parent); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		got := paths(t, s)
		for id, want := range st.want {
			if !slices.Equal(got[id], want) {
				t.Errorf("%s: path of %d = %v, want %v", st.what, id, got[id], want)
			}
		}
	}

	// Moving C (a middle node) below E moves D with it and leaves B and F.
	if err := s.Update(ctx, 0, c.ID, "C", "department", &e.ID); err != nil {
		t.Fatal(err)
	}
	got := paths(t, s)
	for id, want := range map[int64][]int64{
		b.ID: {a.ID, b.ID}, c.ID: {e.ID, c.ID}, d.ID: {e.ID, c.ID, d.ID}, f.ID: {a.ID, b.ID, f.ID},
	} {
		if !slices.Equal(got[id], want) {
			t.Errorf("after moving C: path of %d = %v, want %v", id, got[id], want)
		}
	}
	if u := mustByID(t, s, d.ID); u.Depth() != 2 {
		t.Errorf("depth of D = %d, want 2", u.Depth())
	}
}

func TestUpdateRenameAndErrors(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	a, b, c, d, e, f := tree(t, s)

	if err := s.Update(ctx, 0, b.ID, "  Bee ", "department", &a.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustByID(t, s, b.ID); got.Name != "Bee" || got.Kind != "department" || !slices.Equal(got.Path, []int64{a.ID, b.ID}) {
		t.Errorf("after rename: %+v", got)
	}
	// Renaming in place to a name in another case is fine (it is itself).
	if err := s.Update(ctx, 0, b.ID, "BEE", "department", &a.ID); err != nil {
		t.Errorf("rename to another case of its own name: %v", err)
	}
	before := paths(t, s)

	tests := []struct {
		what   string
		id     int64
		name   string
		parent *int64
		want   error
	}{
		{"below itself", b.ID, "BEE", &b.ID, ErrCycle},
		{"below its child", b.ID, "BEE", &c.ID, ErrCycle},
		{"below its grandchild", b.ID, "BEE", &d.ID, ErrCycle},
		{"root below its descendant", a.ID, "A", &f.ID, ErrCycle},
		{"unknown unit", f.ID + 1000, "X", nil, ErrNotFound},
		{"unknown parent", c.ID, "C", ptr(f.ID + 1000), ErrNotFound},
		{"rename to a sibling's name", f.ID, "c", &b.ID, ErrDuplicateName},
		{"move next to a sibling with its name", e.ID, "e", &a.ID, nil},
		{"move next to a unit of the same name", c.ID, " bee ", &a.ID, ErrDuplicateName},
		{"root renamed to another root's name", a.ID, "E ", nil, nil},
	}
	for _, tt := range tests {
		err := s.Update(ctx, 0, tt.id, tt.name, "other", tt.parent)
		if !errors.Is(err, tt.want) || (tt.want != nil && err != tt.want) { //nolint:errorlint // exact sentinel
			t.Errorf("%s: Update = %v, want %v", tt.what, err, tt.want)
		}
		if tt.want != nil {
			// A refused update changes nothing.
			if got := paths(t, s); !mapsEqual(got, before) {
				t.Errorf("%s: paths changed to %v", tt.what, got)
			}
			continue
		}
		before = paths(t, s)
	}
	// "root renamed to another root's name": E is no longer a root, so A may be called E.
	if got := mustByID(t, s, a.ID); got.Name != "E" {
		t.Errorf("A renamed to %q", got.Name)
	}
}

func mapsEqual(x, y map[int64][]int64) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if !slices.Equal(v, y[k]) {
			return false
		}
	}
	return true
}

func TestArchive(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	// R > X > Y, R > Z; Q a separate root.
	r := mustCreate(t, s, nil, "R", "organisation")
	x := mustCreate(t, s, &r.ID, "X", "location")
	y := mustCreate(t, s, &x.ID, "Y", "programme")
	z := mustCreate(t, s, &r.ID, "Z", "location")
	q := mustCreate(t, s, nil, "Q", "organisation")

	list := func(withArchived bool) []string {
		t.Helper()
		all, err := s.All(ctx, withArchived)
		if err != nil {
			t.Fatal(err)
		}
		return names(all)
	}

	if err := s.SetArchived(ctx, 0, x.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, u := range []Unit{x, y} {
		if !mustByID(t, s, u.ID).Archived() {
			t.Errorf("%s not archived with its parent", u.Name)
		}
	}
	for _, u := range []Unit{r, z, q} {
		if mustByID(t, s, u.ID).Archived() {
			t.Errorf("%s archived", u.Name)
		}
	}
	if got, want := list(false), []string{"Q", "R", "Z"}; !slices.Equal(got, want) {
		t.Errorf("All(false) = %v, want %v", got, want)
	}
	if got, want := list(true), []string{"Q", "R", "X", "Y", "Z"}; !slices.Equal(got, want) {
		t.Errorf("All(true) = %v, want %v", got, want)
	}

	// Archiving again keeps the original time.
	first := mustByID(t, s, y.ID).ArchivedAt
	if err := s.SetArchived(ctx, 0, r.ID, true); err != nil {
		t.Fatal(err)
	}
	if again := mustByID(t, s, y.ID).ArchivedAt; again == nil || !again.Equal(*first) {
		t.Errorf("archiving again moved archived_at from %v to %v", first, again)
	}
	if got, want := list(false), []string{"Q"}; !slices.Equal(got, want) {
		t.Errorf("All(false) after archiving R = %v, want %v", got, want)
	}

	// Restoring Y restores the chain above it (R, X), not the siblings (Z).
	if err := s.SetArchived(ctx, 0, y.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := list(false), []string{"Q", "R", "X", "Y"}; !slices.Equal(got, want) {
		t.Errorf("All(false) after restoring Y = %v, want %v", got, want)
	}
	// Restoring R restores everything below it.
	if err := s.SetArchived(ctx, 0, r.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := list(false), []string{"Q", "R", "X", "Y", "Z"}; !slices.Equal(got, want) {
		t.Errorf("All(false) after restoring R = %v, want %v", got, want)
	}

	// Restoring next to an active sibling of the same name is refused.
	if err := s.SetArchived(ctx, 0, z.ID, true); err != nil {
		t.Fatal(err)
	}
	z2 := mustCreate(t, s, &r.ID, "z", "location")
	if err := s.SetArchived(ctx, 0, z.ID, false); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("restoring Z next to z = %v, want ErrDuplicateName", err)
	}
	if !mustByID(t, s, z.ID).Archived() || mustByID(t, s, z2.ID).Archived() {
		t.Error("refused restore changed archive states")
	}
	// A restore that would clash anywhere in the subtree is refused as a whole.
	if err := s.SetArchived(ctx, 0, x.ID, true); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, &r.ID, "x", "location")
	if err := s.SetArchived(ctx, 0, y.ID, false); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("restoring Y whose parent X clashes = %v, want ErrDuplicateName", err)
	}
	if !mustByID(t, s, y.ID).Archived() {
		t.Error("Y restored although its parent could not be")
	}
}

func TestAllOrder(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	beta := mustCreate(t, s, nil, "beta", "organisation")
	alpha := mustCreate(t, s, nil, "Alpha", "organisation")
	mustCreate(t, s, &beta.ID, "zeta", "location")
	eta := mustCreate(t, s, &beta.ID, "Eta", "location")
	mustCreate(t, s, &alpha.ID, "one", "location")
	mustCreate(t, s, &eta.ID, "Child of Eta", "team")
	mustCreate(t, s, nil, "Gamma", "organisation")

	all, err := s.All(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Alpha", "one", "beta", "Eta", "Child of Eta", "zeta", "Gamma"}
	if got := names(all); !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
}

func TestScopeIncludes(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	school := mustCreate(t, s, nil, "School", "organisation")
	loc := mustCreate(t, s, &school.ID, "Locatie", "location")
	prog := mustCreate(t, s, &loc.ID, "Opleiding", "programme")
	sibling := mustCreate(t, s, &school.ID, "Andere locatie", "location")
	sibProg := mustCreate(t, s, &sibling.ID, "Andere opleiding", "programme")
	other := mustCreate(t, s, nil, "Werkgever", "organisation")

	all := []Unit{school, loc, prog, sibling, sibProg, other}
	tests := []struct {
		what   string
		sc     Scope
		inside []Unit
	}{
		{"everyone", Everyone(), all},
		{"school", Within([]int64{school.ID}), []Unit{school, loc, prog, sibling, sibProg}},
		{"location", Within([]int64{loc.ID}), []Unit{loc, prog}},
		{"programme", Within([]int64{prog.ID}), []Unit{prog}},
		{"location and other tree", Within([]int64{loc.ID, other.ID}), []Unit{loc, prog, other}},
		{"no units", Within(nil), nil},
		{"empty", Within([]int64{}), nil},
	}
	for _, tt := range tests {
		for _, u := range all {
			want := slices.ContainsFunc(tt.inside, func(v Unit) bool { return v.ID == u.ID })
			if got := tt.sc.Includes(u); got != want {
				t.Errorf("%s: Includes(%s) = %v, want %v", tt.what, u.Name, got, want)
			}
		}
	}
	if !Everyone().Includes(Unit{}) {
		t.Error("Everyone excludes a unit without a path")
	}
	if sc := Within(nil); sc.All || sc.Roots == nil {
		t.Errorf("Within(nil) = %+v, want no roots (non-nil) and not All", sc)
	}
}

func TestPersonCondition(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	school := mustCreate(t, s, nil, "School", "organisation")
	loc := mustCreate(t, s, &school.ID, "Locatie", "location")
	prog := mustCreate(t, s, &loc.ID, "Opleiding", "programme")
	sibling := mustCreate(t, s, &school.ID, "Andere locatie", "location")
	other := mustCreate(t, s, nil, "Werkgever", "organisation")
	dept := mustCreate(t, s, &other.ID, "Afdeling", "department")

	person := func(first string, unitIDs ...int64) int64 {
		t.Helper()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO persons (first_name, last_name) VALUES ($1, 'Test') RETURNING id`, first).Scan(&id); err != nil {
			t.Fatal(err)
		}
		for _, u := range unitIDs {
			if _, err := pool.Exec(ctx, `INSERT INTO affiliations (person_id, kind, unit_id) VALUES ($1, 'study', $2)`, id, u); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	atSchool := person("AtSchool", school.ID)
	atProg := person("AtProg", prog.ID)
	atSibling := person("AtSibling", sibling.ID)
	atDept := person("AtDept", dept.ID)
	both := person("Both", dept.ID, prog.ID)
	none := person("None")
	everyone := []int64{atSchool, atProg, atSibling, atDept, both, none}

	tests := []struct {
		what string
		sc   Scope
		want []int64
	}{
		{"everyone", Everyone(), everyone},
		{"school", Within([]int64{school.ID}), []int64{atSchool, atProg, atSibling, both}},
		{"location", Within([]int64{loc.ID}), []int64{atProg, both}},
		{"sibling location", Within([]int64{sibling.ID}), []int64{atSibling}},
		{"programme", Within([]int64{prog.ID}), []int64{atProg, both}},
		{"other root", Within([]int64{other.ID}), []int64{atDept, both}},
		{"department and sibling", Within([]int64{dept.ID, sibling.ID}), []int64{atSibling, atDept, both}},
		{"no units", Within(nil), nil},
	}
	for _, tt := range tests {
		var b db.Builder
		// Another argument first: the condition must number its own placeholder.
		b.Where(`p.id > ` + b.Arg(int64(0)))
		tt.sc.PersonCondition(&b, "p.id")
		if tt.sc.All && len(b.Args()) != 1 {
			t.Errorf("%s: Everyone added arguments %v", tt.what, b.Args())
		}
		rows, err := pool.Query(ctx, `SELECT p.id FROM persons p `+b.WhereSQL()+` ORDER BY p.id`, b.Args()...)
		if err != nil {
			t.Fatalf("%s: %v", tt.what, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatalf("%s: %v", tt.what, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: people %v, want %v", tt.what, got, tt.want)
		}
	}
}

// TestChangesAreAudited: each change of the tree has its audit entry, in
// its own transaction, naming what changed; a save without changes none.
func TestChangesAreAudited(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	root := mustCreate(t, s, nil, "School", "organisation")
	prog := mustCreate(t, s, &root.ID, "Zorg", "programme")
	if err := s.Update(ctx, 0, prog.ID, "Zorg", "programme", &root.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, 0, prog.ID, " Zorg en Welzijn ", "programme", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetArchived(ctx, 0, prog.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetArchived(ctx, 0, prog.ID+1000, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("archiving an unknown unit: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT action, details::text FROM audit_log WHERE entity = 'unit' AND entity_id = $1 ORDER BY id`, prog.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var a, d string
		err := r.Scan(&a, &d)
		return a + " " + d, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`unit.create {"kind": "programme", "name": "Zorg", "parent_id": ` + itoa(root.ID) + `}`,
		`unit.update {"changes": {"name": {"new": "Zorg en Welzijn", "old": "Zorg"}, "parent_id": {"new": null, "old": ` + itoa(root.ID) + `}}}`,
		`unit.archive {"name": "Zorg en Welzijn"}`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit entries\n%q\nwant\n%q", got, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
