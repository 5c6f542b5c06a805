-- A category code outside the product's code list (a code newer than the list) is counted
-- under its own key; its label is the file's, kept here (NULL for every listed code, whose
-- label comes from pipelines/nomenclatures/categorie.csv).
ALTER TABLE pecgm_stock ADD COLUMN libelle_categorie VARCHAR;
