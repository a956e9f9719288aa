-- The sealed htsget index (BAI, CRAI, TBI or CSI) of an object, where one
-- could be built; absent: region queries are answered with the whole file.
ALTER TABLE objects ADD COLUMN index_key TEXT;
