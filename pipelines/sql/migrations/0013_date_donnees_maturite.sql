-- Data date and maturity of the cohort indicators (docs/indicateurs.md, « Date des
-- données et maturité »).
--
-- date_donnees_source: one row per (département, source) with the latest date that source
-- vouches for. `nature` 'reference' is a file's own reference date (PECGM DATE DE
-- REFERENCE; CAF/MSA DTREF), 'evenement' the latest event
-- loaded (decision, appointment, contract). Adding a source to the data date is one more
-- UNION ALL line here (CREATE OR REPLACE VIEW in that source's migration).
CREATE VIEW date_donnees_source AS
SELECT departement, 'pecgm' AS source, 'reference' AS nature, max(date_reference) AS d FROM pecgm_stock GROUP BY departement
UNION ALL SELECT departement, 'orientation', 'evenement', max(date_orientation) FROM orientation GROUP BY departement
UNION ALL SELECT departement, 'parcours', 'evenement', greatest(max(date_orientation), max(date_contrat_engagement)) FROM parcours_personne GROUP BY departement
UNION ALL SELECT departement, 'parcours', 'evenement', max(date_rdv) FROM parcours_rdv GROUP BY departement
UNION ALL SELECT departement, 'caf_msa', 'reference', max(date_reference) FROM caf_beneficiaire GROUP BY departement;

-- The data date of an indicator family for a département: the latest reference date
-- among the sources the family reads, else (no reference date among them) the latest
-- event date they hold. NULL when none of them has a row for the département.
CREATE MACRO date_donnees(dep, sources) AS (
    SELECT coalesce(max(d) FILTER (WHERE nature = 'reference'), max(d))
    FROM date_donnees_source
    WHERE departement = dep AND list_contains(sources, source)
);

-- A cohort's value with a window of `seuil` days is provisional while its window has not
-- closed for everyone of the cohort: (last day of the cohort month) + seuil days is after
-- the data date (or there is no data date). Each threshold checks its own window.
CREATE MACRO provisoire(cohorte_mois, seuil, date_ref) AS
    date_ref IS NULL OR CAST(last_day(CAST(cohorte_mois AS DATE)) AS DATE) + CAST(seuil AS INTEGER) > date_ref;
