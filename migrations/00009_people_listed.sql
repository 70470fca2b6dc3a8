-- +goose Up
-- The people list leaves erased people (tombstones) out. Its ordered
-- indexes carry the same condition, so choosing a page stays an index-only
-- scan instead of visiting every row to read erased_at.
DROP INDEX persons_sort_name_idx;
CREATE INDEX persons_sort_name_idx ON persons (sort_name, id) WHERE erased_at IS NULL;
DROP INDEX persons_updated_idx;
CREATE INDEX persons_updated_idx ON persons (updated_at, id) WHERE erased_at IS NULL;
DROP INDEX persons_created_idx;
CREATE INDEX persons_created_idx ON persons (created_at, id) WHERE erased_at IS NULL;
-- Counting matches joins the listed people by id: index-only, too.
CREATE INDEX persons_listed_idx ON persons (id) WHERE erased_at IS NULL;

-- +goose Down
DROP INDEX persons_listed_idx;
DROP INDEX persons_sort_name_idx;
CREATE INDEX persons_sort_name_idx ON persons (sort_name, id);
DROP INDEX persons_updated_idx;
CREATE INDEX persons_updated_idx ON persons (updated_at, id);
DROP INDEX persons_created_idx;
CREATE INDEX persons_created_idx ON persons (created_at, id);
