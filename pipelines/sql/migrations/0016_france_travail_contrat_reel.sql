-- France Travail's partner APIs as they really are (docs/api_france_travail.md).
-- ft_statut: Rechercher usager v2 also says whether the identity is certified
-- (topIdentiteCertifiee); an uncertified person (S001, FALSE) or several matches (S003,
-- homonymes) is counted apart and nothing else is collected for them.
ALTER TABLE ft_statut ADD COLUMN identite_certifiee BOOLEAN;

-- ft_contrainte: one row per person and thématique (codes 23 to 29 of the diagnostic
-- argumenté v4, keys and labels in pipelines/nomenclatures/thematique_contrainte.csv) with
-- its value as the API gives it: OUI | NON | NON_ABORDEE | CLOTUREE. `contrainte` stays
-- the flag valeur = 'OUI'.
ALTER TABLE ft_contrainte ADD COLUMN valeur VARCHAR;

-- orientation.source gains 'france_travail': the open orientations read from
-- lectureOrientation, decided (statut DECIDE, decision not REFUSEE), dated by
-- date_entree_parcours, parcours PED/PSP/PSO through pipelines/nomenclatures/type_parcours.csv.
-- Their collection's person key is the NIR key, as for the other sources.
