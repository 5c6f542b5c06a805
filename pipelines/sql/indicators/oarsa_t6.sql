-- OARSA table 6 ($departement, $annee): the SDD oriented at 31/12 whose decisions dated in
-- the year crossed between the SPE (France Travail and the spe_* categories) and the
-- organismes hors SPE: a decision whose side differs from that of the person's previous
-- decision with a side (of any date). Each person once, by the direction of their last crossing of
-- the year. A decision to an organisme not classified has no side and crosses nothing.
-- Rows (dimension, modalite, colonne, n) as oarsa_t1.
WITH p AS (
    SELECT * FROM oarsa_orientation($departement, $communes,
                                    make_date(CAST($annee AS INTEGER), 12, 31), $regle)
    WHERE date_orientation IS NOT NULL
),
suite AS (
    SELECT person_key, date_orientation, cote,
           last_value(cote IGNORE NULLS) OVER (
               PARTITION BY person_key ORDER BY date_orientation
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS cote_avant
    FROM oarsa_decisions($departement, $communes,
                         make_date(CAST($annee AS INTEGER), 12, 31), $regle)
),
derniere AS (
    SELECT person_key, arg_max(cote_avant || '_vers_' || cote, date_orientation) AS sens
    FROM suite
    WHERE year(date_orientation) = CAST($annee AS INTEGER)
      AND cote IS NOT NULL AND cote_avant IS NOT NULL AND cote <> cote_avant
    GROUP BY person_key
),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m,
           ['reorientes', d.sens] AS colonnes
    FROM p JOIN derniere d USING (person_key)
),
cellules AS (
    SELECT m.dimension AS dimension, m.modalite AS modalite, unnest(colonnes) AS colonne
    FROM lignes
)
SELECT dimension, modalite, colonne, count(*) AS n FROM cellules GROUP BY ALL ORDER BY ALL
