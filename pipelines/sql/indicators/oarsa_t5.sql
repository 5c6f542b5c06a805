-- OARSA table 5 ($departement, $annee): the year's entrants (latest entry into the RSA,
-- DTDEMRSA, in the year) who are SDD at 31/12. Primo-oriented: a first orientation dated on
-- or after that entry and on or before 31/12 (decisions of a previous spell do not count;
-- webrsa takes the first orientation ever). Mean delay entry -> primo-orientation. Of the
-- primo-oriented outside France Travail, those with a first contract signed (parcours
-- date de signature) on or after the primo-orientation and by 31/12, and the mean delay
-- primo-orientation -> signature (webrsa: orientation proposal -> contract start).
-- Rows (dimension, modalite, colonne, n, moyenne): moyenne (days, one decimal) on the
-- 'delai_*' rows only, n being the persons it averages.
WITH entrants AS (
    SELECT * FROM oarsa_sdd($departement, $communes,
                            make_date(CAST($annee AS INTEGER), 12, 31), $regle)
    WHERE year(entree) = CAST($annee AS INTEGER)
),
primo AS (
    SELECT e.person_key,
           arg_min(d.date_orientation, d.date_orientation) AS date_primo,
           arg_min(d.categorie, d.date_orientation) AS categorie
    FROM entrants e
    JOIN oarsa_decisions($departement, $communes,
                         make_date(CAST($annee AS INTEGER), 12, 31), $regle) d
      ON d.person_key = e.person_key AND d.date_orientation >= e.entree
    GROUP BY e.person_key
),
signatures AS (
    SELECT unnest(oarsa_cles_parcours(pe_key, rsa_key, cle_type)) AS cle,
           date_contrat_engagement AS signature
    FROM parcours_personne
    WHERE departement = $departement AND date_contrat_engagement IS NOT NULL
),
entrant_cles AS (
    SELECT person_key, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle FROM entrants
),
cer AS (
    SELECT pr.person_key, min(s.signature) AS signature
    FROM primo pr JOIN entrant_cles k USING (person_key) JOIN signatures s ON s.cle = k.cle
    WHERE pr.categorie <> 'france_travail' AND s.signature >= pr.date_primo
      AND s.signature <= make_date(CAST($annee AS INTEGER), 12, 31)
    GROUP BY pr.person_key
),
personnes AS (
    SELECT e.*, pr.date_primo, pr.categorie, c.signature,
           date_diff('day', e.entree, pr.date_primo) AS delai_orientation,
           date_diff('day', pr.date_primo, c.signature) AS delai_cer
    FROM entrants e LEFT JOIN primo pr USING (person_key) LEFT JOIN cer c USING (person_key)
),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m, *
    FROM personnes
)
SELECT m.dimension AS dimension, m.modalite AS modalite, colonne, n, moyenne
FROM (
    SELECT m, count(*) AS entrants,
           count(date_primo) AS primo_orientes,
           count(*) FILTER (WHERE categorie <> 'france_travail') AS primo_orientes_hors_ft,
           count(signature) AS primo_cer,
           avg(delai_orientation) AS m_orientation, avg(delai_cer) AS m_cer
    FROM lignes GROUP BY m
) g,
LATERAL (VALUES ('entrants', g.entrants, NULL::DOUBLE),
                ('primo_orientes', g.primo_orientes, NULL),
                ('primo_orientes_hors_ft', g.primo_orientes_hors_ft, NULL),
                ('primo_cer', g.primo_cer, NULL),
                ('delai_moyen_orientation', g.primo_orientes, arrondi(g.m_orientation, 1)),
                ('delai_moyen_cer', g.primo_cer, arrondi(g.m_cer, 1))) AS v(colonne, n, moyenne)
ORDER BY ALL
