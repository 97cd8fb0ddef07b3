"""Fixed inputs of the synthetic BOLD export: the paper's figures and the real names it uses.

Everything here is a *model parameter*, not a result: the BIOSCAN-5M paper's Table 2 / A4 / A5
figures the taxonomy is calibrated against (Tables 2, A4, A5), the real classes and orders with
record counts chosen to reproduce Table A5's class and order rows, real family names used for the
largest generated families, the named lineages of the paper's examples (Table A8, section 9.9),
and the countries of Table A4.  The generator modules read these tables; nothing here computes.
"""

from __future__ import annotations

from typing import NamedTuple

#: Records of BIOSCAN-5M; the taxonomy is modelled at this size and subsampled below it.
N_FULL = 5_150_850

#: Table 2: records labelled at each rank (phylum .. species).
LABELLED_FULL = (5_150_850, 5_146_837, 5_134_987, 4_932_774, 1_472_548, 1_226_765, 473_094)

#: Table 2: categories at family, subfamily, genus and species (class and order come from the
#: tables below).
CATEGORIES_FULL = {3: 934, 4: 1_542, 5: 7_605, 6: 22_622}

#: Table 2 / A5: BINs, labelled records with a BIN, distinct barcodes, largest BIN and barcode.
BINS_FULL = 324_411
BIN_LABELLED_FULL = 5_137_441
BARCODES_FULL = 2_486_492
TOP_BIN_FULL = 35_458
TOP_BARCODE_FULL = 3_743

#: Table 3: species per species set at full scale (seen, unseen, heldout).
SPECIES_SETS_FULL = {"seen": 11_846, "unseen": 914, "heldout": 9_862}

#: Paper A4.3: genera given an ``unassigned <Family>`` subfamily.
FILLER_GENERA_FULL = 1_448


class Lineage(NamedTuple):
    """A named node of the paper (or needed by its examples) placed in the generated tree.

    ``path`` runs from class to the node.  ``mass`` = records labelled at the node's rank or
    deeper at full scale; ``cont`` = of those, records labelled deeper (None: drawn like any
    generated node).  ``kind`` marks genus and species kinds the examples need (see
    :mod:`curation.synthetic.taxonomy`).
    """

    path: tuple[str, ...]
    mass: int
    cont: int | None = None
    kind: str = ""


#: Classes with full-scale record counts (labelled at class).  Insecta and Ostracoda are Table
#: A5's largest and smallest; the median of the ten is 369 as in Table A5.
CLASSES: tuple[tuple[str, int], ...] = (
    ("Insecta", 5_038_818),
    ("Arachnida", 78_199),
    ("Collembola", 26_500),
    ("Malacostraca", 2_300),
    ("Diplopoda", 520),
    ("Chilopoda", 218),
    ("Protura", 150),
    ("Diplura", 95),
    ("Symphyla", 30),
    ("Ostracoda", 7),
)

#: Orders (class, order, records labelled at order).  Insect orders sum to Table A6's 5,037,247;
#: Diptera and Cumacea are Table A5's largest and smallest.
ORDERS: tuple[tuple[str, str, int], ...] = (
    ("Insecta", "Diptera", 3_675_317),
    ("Insecta", "Hymenoptera", 677_433),
    ("Insecta", "Hemiptera", 300_000),
    ("Insecta", "Lepidoptera", 125_000),
    ("Insecta", "Coleoptera", 105_000),
    ("Insecta", "Psocodea", 80_000),
    ("Insecta", "Thysanoptera", 45_000),
    ("Insecta", "Trichoptera", 9_000),
    ("Insecta", "Blattodea", 7_000),
    ("Insecta", "Orthoptera", 5_500),
    ("Insecta", "Neuroptera", 3_000),
    ("Insecta", "Ephemeroptera", 1_800),
    ("Insecta", "Plecoptera", 1_100),
    ("Insecta", "Strepsiptera", 900),
    ("Insecta", "Odonata", 420),
    ("Insecta", "Mantodea", 150),
    ("Insecta", "Dermaptera", 160),
    ("Insecta", "Embioptera", 172),
    ("Insecta", "Zygentoma", 110),
    ("Insecta", "Mecoptera", 80),
    ("Insecta", "Megaloptera", 45),
    ("Insecta", "Raphidioptera", 30),
    ("Insecta", "Phasmida", 20),
    ("Insecta", "Siphonaptera", 8),
    ("Insecta", "Zoraptera", 2),
    ("Arachnida", "Araneae", 28_396),
    ("Arachnida", "Trombidiformes", 22_000),
    ("Arachnida", "Sarcoptiformes", 12_000),
    ("Arachnida", "Mesostigmata", 6_000),
    ("Arachnida", "Opiliones", 1_200),
    ("Arachnida", "Pseudoscorpiones", 900),
    ("Arachnida", "Ixodida", 172),
    ("Arachnida", "Scorpiones", 60),
    ("Arachnida", "Palpigradi", 12),
    ("Arachnida", "Schizomida", 5),
    ("Collembola", "Entomobryomorpha", 14_000),
    ("Collembola", "Poduromorpha", 5_500),
    ("Collembola", "Symphypleona", 4_200),
    ("Collembola", "Neelipleona", 300),
    ("Malacostraca", "Isopoda", 1_200),
    ("Malacostraca", "Amphipoda", 800),
    ("Malacostraca", "Decapoda", 120),
    ("Malacostraca", "Cumacea", 1),
    ("Diplopoda", "Polydesmida", 165),
    ("Diplopoda", "Julida", 120),
    ("Diplopoda", "Spirobolida", 60),
    ("Diplopoda", "Polyxenida", 40),
    ("Diplopoda", "Chordeumatida", 25),
    ("Chilopoda", "Geophilomorpha", 100),
    ("Chilopoda", "Lithobiomorpha", 60),
    ("Chilopoda", "Scolopendromorpha", 40),
    ("Protura", "Acerentomata", 140),
    ("Diplura", "Rhabdura", 90),
    ("Symphyla", "Scolopendrellida", 28),
    ("Ostracoda", "Podocopida", 6),
)

#: Real family names per order, given to that order's generated families by descending size.
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "Diptera": (
        "Chironomidae",
        "Ceratopogonidae",
        "Chloropidae",
        "Muscidae",
        "Drosophilidae",
        "Dolichopodidae",
        "Empididae",
        "Mycetophilidae",
        "Sphaeroceridae",
        "Tachinidae",
        "Agromyzidae",
        "Culicidae",
        "Simuliidae",
        "Tipulidae",
        "Limoniidae",
        "Syrphidae",
        "Sarcophagidae",
        "Calliphoridae",
        "Anthomyiidae",
        "Lauxaniidae",
        "Ephydridae",
        "Hybotidae",
        "Keroplatidae",
        "Scatopsidae",
        "Pipunculidae",
        "Tephritidae",
        "Milichiidae",
        "Asteiidae",
        "Lonchaeidae",
        "Stratiomyidae",
        "Bibionidae",
        "Anisopodidae",
        "Dixidae",
        "Heleomyzidae",
        "Clusiidae",
        "Opomyzidae",
        "Asilidae",
        "Bombyliidae",
        "Tabanidae",
        "Rhagionidae",
    ),
    "Hymenoptera": (
        "Braconidae",
        "Ichneumonidae",
        "Platygastridae",
        "Diapriidae",
        "Eulophidae",
        "Formicidae",
        "Mymaridae",
        "Encyrtidae",
        "Pteromalidae",
        "Ceraphronidae",
        "Scelionidae",
        "Figitidae",
        "Trichogrammatidae",
        "Aphelinidae",
        "Bethylidae",
        "Dryinidae",
        "Eupelmidae",
        "Torymidae",
        "Chalcididae",
        "Megaspilidae",
        "Apidae",
        "Vespidae",
        "Crabronidae",
        "Pompilidae",
        "Agaonidae",
        "Eurytomidae",
        "Evaniidae",
        "Tenthredinidae",
    ),
    "Hemiptera": (
        "Cicadellidae",
        "Psyllidae",
        "Aphididae",
        "Delphacidae",
        "Miridae",
        "Aleyrodidae",
        "Cixiidae",
        "Achilidae",
        "Derbidae",
        "Triozidae",
        "Lygaeidae",
        "Rhyparochromidae",
        "Membracidae",
        "Anthocoridae",
        "Coccidae",
        "Pseudococcidae",
        "Issidae",
        "Flatidae",
        "Cercopidae",
        "Tingidae",
    ),
    "Lepidoptera": (
        "Gelechiidae",
        "Tineidae",
        "Crambidae",
        "Erebidae",
        "Geometridae",
        "Noctuidae",
        "Tortricidae",
        "Pyralidae",
        "Depressariidae",
        "Cosmopterigidae",
        "Gracillariidae",
        "Elachistidae",
        "Blastobasidae",
        "Pterophoridae",
        "Nepticulidae",
        "Oecophoridae",
        "Hesperiidae",
        "Nymphalidae",
        "Lycaenidae",
        "Sphingidae",
    ),
    "Coleoptera": (
        "Staphylinidae",
        "Curculionidae",
        "Chrysomelidae",
        "Ptiliidae",
        "Latridiidae",
        "Nitidulidae",
        "Carabidae",
        "Scarabaeidae",
        "Elateridae",
        "Cryptophagidae",
        "Corylophidae",
        "Leiodidae",
        "Scirtidae",
        "Mordellidae",
        "Erotylidae",
        "Coccinellidae",
        "Cantharidae",
        "Lampyridae",
        "Tenebrionidae",
        "Anthicidae",
    ),
    "Psocodea": (
        "Lachesillidae",
        "Ectopsocidae",
        "Psocidae",
        "Caeciliusidae",
        "Liposcelididae",
        "Trogiidae",
        "Lepidopsocidae",
        "Peripsocidae",
    ),
    "Thysanoptera": ("Thripidae", "Phlaeothripidae", "Aeolothripidae", "Heterothripidae"),
    "Trichoptera": ("Hydroptilidae", "Leptoceridae", "Hydropsychidae", "Philopotamidae"),
    "Araneae": (
        "Theridiidae",
        "Linyphiidae",
        "Salticidae",
        "Araneidae",
        "Oonopidae",
        "Anyphaenidae",
        "Thomisidae",
        "Lycosidae",
    ),
    "Trombidiformes": ("Erythraeidae", "Tetranychidae", "Eupodidae", "Bdellidae"),
    "Sarcoptiformes": ("Oribatulidae", "Galumnidae", "Acaridae", "Scheloribatidae"),
    "Mesostigmata": ("Phytoseiidae", "Laelapidae", "Ascidae"),
    "Entomobryomorpha": ("Entomobryidae", "Isotomidae", "Paronellidae", "Tomoceridae"),
    "Poduromorpha": ("Hypogastruridae", "Neanuridae", "Onychiuridae"),
    "Symphypleona": ("Sminthuridae", "Dicyrtomidae", "Katiannidae", "Bourletiellidae"),
    "Isopoda": ("Philosciidae", "Armadillidae", "Porcellionidae"),
    "Amphipoda": ("Talitridae", "Hyalellidae"),
    "Cumacea": ("Nannastacidae",),
    "Polydesmida": ("Pyrgodesmidae", "Paradoxosomatidae", "Chelodesmidae"),
}

#: The named taxa of the paper and of docs/curation.md's examples, with full-scale sizes.  Species sizes
#: are Table A8 / section 9.9; the large nodes reproduce Table A5's most populated categories
#: (Cecidomyiidae: 938,928 labelled of which 925,520 end there; Metopininae, Megaselia,
#: Psychoda sp. 11GMK).  Kinds: ``seen`` / ``placeholder`` species; genus kinds
#: ``placeholder_only`` (no scientific species, so its placeholders are heldout) and
#: ``placeholder_genus`` (the genus name itself is a placeholder); ``filler`` = the family's
#: genera without a subfamily.
LINEAGES: tuple[Lineage, ...] = (
    Lineage(("Insecta", "Diptera", "Tachinidae"), 25_000),
    Lineage(("Insecta", "Diptera", "Pipunculidae"), 6_000),
    Lineage(("Insecta", "Diptera", "Sarcophagidae"), 10_000),
    Lineage(("Insecta", "Hymenoptera", "Braconidae"), 120_000),
    Lineage(("Insecta", "Hymenoptera", "Ichneumonidae"), 60_000),
    Lineage(("Insecta", "Hymenoptera", "Platygastridae"), 80_000),
    Lineage(("Insecta", "Hymenoptera", "Eulophidae"), 30_000),
    Lineage(("Insecta", "Hymenoptera", "Formicidae"), 25_000),
    Lineage(("Insecta", "Hymenoptera", "Eupelmidae"), 2_000),
    Lineage(("Insecta", "Hymenoptera", "Pompilidae"), 1_500),
    Lineage(("Insecta", "Hymenoptera", "Chalcididae"), 3_000),
    Lineage(("Insecta", "Hymenoptera", "Agaonidae"), 500),
    Lineage(("Insecta", "Lepidoptera", "Gelechiidae"), 20_000),
    Lineage(("Insecta", "Lepidoptera", "Pterophoridae"), 1_000),
    Lineage(("Insecta", "Coleoptera", "Staphylinidae"), 30_000),
    Lineage(("Insecta", "Coleoptera", "Erotylidae"), 800),
    Lineage(("Insecta", "Hemiptera", "Aphididae"), 8_000),
    Lineage(("Insecta", "Hemiptera", "Triozidae"), 5_000),
    Lineage(("Insecta", "Diptera", "Cecidomyiidae"), 938_928, 13_408),
    Lineage(("Insecta", "Diptera", "Phoridae"), 410_000, 345_000),
    Lineage(("Insecta", "Diptera", "Phoridae", "Metopininae"), 323_146, 240_000),
    Lineage(("Insecta", "Diptera", "Phoridae", "Metopininae", "Megaselia"), 200_268, 26_000),
    Lineage(
        ("Insecta", "Diptera", "Phoridae", "Metopininae", "Megaselia", "Megaselia lucifrons"),
        699,
        kind="seen",
    ),
    Lineage(
        ("Insecta", "Diptera", "Phoridae", "Metopininae", "Megaselia", "Megaselia BOLD:ACN5814"),
        24,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Diptera", "Phoridae", "Metopininae", "Megaselia", "Megaselia Malaise4749"),
        31,
        kind="placeholder",
    ),
    Lineage(("Insecta", "Diptera", "Psychodidae"), 72_000, 30_000),
    Lineage(("Insecta", "Diptera", "Psychodidae", "Psychodinae"), 26_000, 22_000),
    Lineage(("Insecta", "Diptera", "Psychodidae", "Psychodinae", "Psychoda"), 18_000, 12_000),
    Lineage(
        ("Insecta", "Diptera", "Psychodidae", "Psychodinae", "Psychoda", "Psychoda sp. 11GMK"),
        7_694,
        kind="placeholder",
    ),
    Lineage(("Insecta", "Diptera", "Sciaridae"), 230_000, 45_000),
    Lineage(("Insecta", "Diptera", "Sciaridae", "unassigned Sciaridae"), 12_000, kind="filler"),
    Lineage(
        ("Insecta", "Diptera", "Sciaridae", "unassigned Sciaridae", "Pseudosciara"), 3_500, 300
    ),
    Lineage(("Insecta", "Diptera", "Sciaridae", "unassigned Sciaridae", "Alpinosciara"), 150),
    Lineage(("Insecta", "Diptera", "Tachinidae", "Tachininae", "Phytomyptera"), 60, 40),
    Lineage(
        (
            "Insecta",
            "Diptera",
            "Tachinidae",
            "Tachininae",
            "Phytomyptera",
            "Phytomyptera Janzen3550",
        ),
        14,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Diptera", "Tachinidae", "Tachininae", "Phytomyptera", "Phytomyptera nigrina"),
        12,
        kind="seen",
    ),
    Lineage(
        (
            "Insecta",
            "Diptera",
            "Pipunculidae",
            "Pipunculinae",
            "Microcephalops",
            "Microcephalops sp. China3",
        ),
        1,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Diptera",
            "Sarcophagidae",
            "Sarcophaginae",
            "Oxysarcodexia",
            "Oxysarcodexia Malaise4749",
        ),
        20,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Braconidae",
            "Microgastrinae",
            "Glyptapanteles",
            "Glyptapanteles meganmiltonae",
        ),
        65,
        kind="seen",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Braconidae",
            "Microgastrinae",
            "Glyptapanteles",
            "Glyptapanteles Whitfield155",
        ),
        11,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Braconidae",
            "Microgastrinae",
            "Glyptapanteles",
            "Glyptapanteles Malaise2871",
        ),
        1,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Braconidae", "Microgastrinae", "microMalaise01"),
        30,
        kind="placeholder_genus",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Braconidae",
            "Microgastrinae",
            "microMalaise01",
            "microMalaise01 Malaise1237",
        ),
        13,
        kind="placeholder",
    ),
    Lineage(("Insecta", "Hymenoptera", "Braconidae", "Alysiinae", "Dacnusa"), 90, 10),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Ichneumonidae",
            "Orthocentrinae",
            "Orthocentrus",
            "Orthocentrus Malaise5315",
        ),
        39,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Ichneumonidae",
            "Orthocentrinae",
            "Orthocentrus",
            "Orthocentrus protervus",
        ),
        8,
        kind="seen",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Ichneumonidae",
            "Pimplinae",
            "Zatypota",
            "Zatypota alborhombartaDHJ03",
        ),
        9,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Ichneumonidae",
            "Pimplinae",
            "Zatypota",
            "Zatypota percontatoria",
        ),
        12,
        kind="seen",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Eupelmidae", "Eupelminae", "Anastatus", "Anastatus sp. GG28"),
        42,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Eupelmidae", "Eupelminae", "Anastatus", "Anastatus mirabilis"),
        20,
        kind="seen",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Eulophidae", "Eulophinae", "Palmistichus"),
        430,
        416,
        kind="placeholder_only",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Eulophidae",
            "Eulophinae",
            "Palmistichus",
            "Palmistichus ixtlilxochitliDHJ01",
        ),
        416,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Agaonidae", "Epichrysomallinae", "Odontofroggatia"),
        20,
        13,
        kind="placeholder_only",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Agaonidae",
            "Epichrysomallinae",
            "Odontofroggatia",
            "Odontofroggatia corneri-MIC",
        ),
        13,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Hymenoptera", "Platygastridae", "Platygastrinae", "Basileunculus"),
        300,
        268,
        kind="placeholder_only",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Platygastridae",
            "Platygastrinae",
            "Basileunculus",
            "Basileunculus sp. CR3",
        ),
        268,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Hymenoptera",
            "Formicidae",
            "Pseudomyrmecinae",
            "Pseudomyrmex",
            "Pseudomyrmex simplex",
        ),
        378,
        kind="seen",
    ),
    Lineage(("Insecta", "Hymenoptera", "Pompilidae", "Ctenocerinae", "Olixon"), 60, 5),
    Lineage(("Insecta", "Hymenoptera", "Chalcididae", "unassigned Chalcididae"), 40, kind="filler"),
    Lineage(
        ("Insecta", "Hymenoptera", "Chalcididae", "unassigned Chalcididae", "chalMalaise9590"),
        1,
        0,
        kind="placeholder_genus",
    ),
    Lineage(
        (
            "Insecta",
            "Lepidoptera",
            "Gelechiidae",
            "Gelechiinae",
            "Aristotelia",
            "Aristotelia BioLep531",
        ),
        87,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Lepidoptera",
            "Gelechiidae",
            "Gelechiinae",
            "Aristotelia",
            "Aristotelia roseosuffusella",
        ),
        6,
        kind="seen",
    ),
    Lineage(
        ("Insecta", "Lepidoptera", "Gelechiidae", "Gelechiinae", "gelBioLep01"),
        40,
        kind="placeholder_genus",
    ),
    Lineage(
        (
            "Insecta",
            "Lepidoptera",
            "Gelechiidae",
            "Gelechiinae",
            "gelBioLep01",
            "gelBioLep01 BioLep3792",
        ),
        16,
        kind="placeholder",
    ),
    Lineage(
        (
            "Insecta",
            "Lepidoptera",
            "Pterophoridae",
            "Platyptiliinae",
            "Stenoptilodes",
            "Stenoptilodes brevipennis",
        ),
        16,
        kind="seen",
    ),
    Lineage(
        ("Insecta", "Coleoptera", "Erotylidae", "Cryptophilinae", "Cryptophilus"),
        70,
        55,
        kind="placeholder_only",
    ),
    Lineage(
        (
            "Insecta",
            "Coleoptera",
            "Erotylidae",
            "Cryptophilinae",
            "Cryptophilus",
            "Cryptophilus sp. SAEVG Morph0281",
        ),
        55,
        kind="placeholder",
    ),
    Lineage(
        ("Insecta", "Coleoptera", "Staphylinidae", "Aleocharinae", "Zyras", "Zyras perdecoratus"),
        10,
        kind="seen",
    ),
    Lineage(
        (
            "Insecta",
            "Hemiptera",
            "Triozidae",
            "Triozinae",
            "Aacanthocnema",
            "Aacanthocnema dobsoni",
        ),
        3,
        kind="seen",
    ),
    Lineage(
        (
            "Insecta",
            "Hemiptera",
            "Aphididae",
            "Aphidinae",
            "Rhopalosiphoninus",
            "Rhopalosiphoninus latysiphon",
        ),
        148,
        kind="seen",
    ),
)

#: Open-nomenclature species of the paper (section 9.10): the value, its genus, and its
#: full-scale records.  "Pseudosciara sp." is the paper's largest (1,247 records).
OPEN_NOMENCLATURE_NAMED: tuple[tuple[str, str, int], ...] = (
    ("Pseudosciara sp.", "Pseudosciara", 1_247),
    ("Olixon cf. testaceum", "Olixon", 25),
    ("Dacnusa nr. faeroeensis", "Dacnusa", 30),
)

#: Paper section 9.10 rates at full scale: distinct open-nomenclature values and their records.
OPEN_NOMENCLATURE_VALUES_FULL = 198
OPEN_NOMENCLATURE_RECORDS_FULL = 5_101


class Country(NamedTuple):
    name: str
    iso2: str
    lat: float
    lon: float
    realm: str
    records: int  #: full-scale records (Table A4: 47 countries, Costa Rica > 62 %)
    provinces: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "Costa Rica",
        "CR",
        10.6,
        -85.4,
        "Neotropical",
        3_245_040,
        ("Guanacaste", "Alajuela", "Puntarenas", "Limon", "Heredia", "San Jose", "Cartago"),
    ),
    Country(
        "Canada",
        "CA",
        49.5,
        -80.0,
        "Nearctic",
        474_000,
        (
            "Ontario",
            "Quebec",
            "Alberta",
            "British Columbia",
            "Manitoba",
            "Nova Scotia",
            "Yukon Territory",
            "Saskatchewan",
            "New Brunswick",
            "Newfoundland and Labrador",
        ),
    ),
    Country(
        "South Africa",
        "ZA",
        -29.0,
        25.0,
        "Afrotropical",
        310_000,
        (
            "Western Cape",
            "Limpopo",
            "KwaZulu-Natal",
            "Mpumalanga",
            "Eastern Cape",
            "Northern Cape",
            "Gauteng",
        ),
    ),
    Country(
        "Pakistan",
        "PK",
        31.5,
        72.0,
        "Palearctic",
        180_000,
        ("Punjab", "Khyber Pakhtunkhwa", "Sindh", "Gilgit-Baltistan"),
    ),
    Country(
        "Thailand",
        "TH",
        15.0,
        101.0,
        "Indomalayan",
        150_000,
        ("Chiang Mai", "Kanchanaburi", "Nakhon Ratchasima", "Phetchaburi"),
    ),
    Country(
        "Kenya",
        "KE",
        0.2,
        37.5,
        "Afrotropical",
        120_000,
        ("Central", "Rift Valley", "Coast", "Eastern"),
    ),
    Country(
        "Madagascar",
        "MG",
        -19.0,
        46.7,
        "Afrotropical",
        95_000,
        ("Antananarivo", "Fianarantsoa", "Toamasina", "Toliara"),
    ),
    Country(
        "Papua New Guinea",
        "PG",
        -6.3,
        145.5,
        "Australasian",
        70_000,
        ("Madang", "Morobe", "Eastern Highlands"),
    ),
    Country(
        "Argentina", "AR", -27.0, -65.0, "Neotropical", 60_000, ("Tucuman", "Misiones", "Salta")
    ),
    Country("Peru", "PE", -9.0, -75.0, "Neotropical", 55_000, ("Cusco", "Madre de Dios", "Loreto")),
    Country("Ecuador", "EC", -1.0, -78.0, "Neotropical", 50_000, ("Napo", "Pichincha", "Orellana")),
    Country(
        "Brazil", "BR", -15.0, -50.0, "Neotropical", 40_000, ("Amazonas", "Minas Gerais", "Para")
    ),
    Country("Honduras", "HN", 15.0, -86.5, "Neotropical", 35_000, ("Atlantida", "Olancho")),
    Country("Malaysia", "MY", 4.5, 102.0, "Indomalayan", 30_000, ("Sabah", "Pahang", "Sarawak")),
    Country("Mexico", "MX", 19.0, -99.0, "Neotropical", 28_000, ("Chiapas", "Veracruz", "Oaxaca")),
    Country("Guatemala", "GT", 15.5, -90.3, "Neotropical", 25_000, ("Peten", "Izabal")),
    Country("United States", "US", 38.0, -97.0, "Nearctic", 22_000, ("Arizona", "Florida")),
    Country("Finland", "FI", 62.0, 25.5, "Palearctic", 20_000, ("Uusimaa", "Lapland")),
    Country("Norway", "NO", 63.4, 10.4, "Palearctic", 18_000, ("Sor-Trondelag", "Finnmark")),
    Country("Germany", "DE", 50.5, 10.0, "Palearctic", 16_000, ("Bavaria", "Saxony")),
    Country(
        "Australia",
        "AU",
        -25.0,
        133.0,
        "Australasian",
        15_000,
        ("Queensland", "New South Wales", "Western Australia"),
    ),
    Country("Panama", "PA", 9.0, -79.5, "Neotropical", 14_000, ("Panama",)),
    Country("Chile", "CL", -35.0, -71.0, "Neotropical", 12_000, ("Biobio",)),
    Country("Colombia", "CO", 4.5, -74.0, "Neotropical", 10_000, ("Antioquia",)),
    Country("Egypt", "EG", 27.0, 30.0, "Palearctic", 9_000, ("Giza",)),
    Country("Saudi Arabia", "SA", 24.0, 45.0, "Palearctic", 8_000, ("Asir",)),
    Country("Tanzania", "TZ", -6.0, 35.0, "Afrotropical", 7_000, ("Arusha",)),
    Country("Uganda", "UG", 1.3, 32.3, "Afrotropical", 6_000, ("Western",)),
    Country("Mozambique", "MZ", -18.0, 35.0, "Afrotropical", 5_000, ("Sofala",)),
    Country("India", "IN", 21.0, 78.0, "Indomalayan", 4_000, ("Karnataka",)),
    Country("Vietnam", "VN", 16.0, 107.0, "Indomalayan", 3_500, ("Lam Dong",)),
    Country("Indonesia", "ID", -2.0, 118.0, "Indomalayan", 3_000, ("Sulawesi Utara",)),
    Country("China", "CN", 30.0, 104.0, "Palearctic", 2_500, ("Yunnan",)),
    Country("Japan", "JP", 36.0, 138.0, "Palearctic", 2_000, ("Okinawa",)),
    Country("Austria", "AT", 47.5, 14.5, "Palearctic", 1_500, ("Tyrol",)),
    Country("France", "FR", 46.5, 2.5, "Palearctic", 1_200, ("Occitanie",)),
    Country("Bulgaria", "BG", 42.7, 25.3, "Palearctic", 1_000, ("Sofia",)),
    Country("Greece", "GR", 39.0, 22.0, "Palearctic", 800, ("Crete",)),
    Country("Turkey", "TR", 39.0, 35.0, "Palearctic", 600, ("Antalya",)),
    Country("United Kingdom", "GB", 54.0, -2.0, "Palearctic", 500, ("Scotland",)),
    Country("Spain", "ES", 40.0, -3.7, "Palearctic", 400, ("Andalusia",)),
    Country("Nigeria", "NG", 9.0, 8.0, "Afrotropical", 300, ("Oyo",)),
    Country("Ghana", "GH", 7.9, -1.0, "Afrotropical", 200, ("Ashanti",)),
    Country("Cameroon", "CM", 5.7, 12.7, "Afrotropical", 150, ("Centre",)),
    Country("Gabon", "GA", -0.8, 11.6, "Afrotropical", 100, ("Estuaire",)),
    Country("Bolivia", "BO", -17.0, -65.0, "Neotropical", 50, ("La Paz",)),
    Country("Uruguay", "UY", -33.0, -56.0, "Neotropical", 10, ("Canelones",)),
)

#: Table A4 at full scale: distinct coordinates, records without a country / province /
#: coordinates, and the share of records in the 70 most populated coordinates.
SITES_FULL = 1_650
NO_COUNTRY_FULL = 8
NO_PROVINCE_FULL = 92_132
NO_COORD_FULL = 1_831
TOP70_SITE_SHARE = 0.7336

#: Markers of the extra (non-target) rows of a specimen, with relative frequencies.
OTHER_MARKERS: tuple[tuple[str, float], ...] = (
    ("CAD", 0.30),
    ("28S", 0.25),
    ("COI-3P", 0.20),
    ("18S", 0.10),
    ("PGD", 0.08),
    ("ITS2", 0.07),
)
TARGET_MARKER = "COI-5P"

#: Taxa outside BIOSCAN-5M's phylum that a raw BOLD data package also holds (a real 2024 package
#: of 515 records had 88 mammals, 39 amphibians and a fish): phylum .. species, and a weight.
OUT_OF_SCOPE_LINEAGES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("Chordata", "Mammalia", "Chiroptera", "Vespertilionidae", "Myotinae", "Myotis",
      "Myotis daubentonii"), 0.45),
    (("Chordata", "Amphibia", "Anura", "Ranidae", "Raninae", "Rana", "Rana temporaria"), 0.25),
    (("Chordata", "Actinopterygii", "Cypriniformes", "Leuciscidae", "Leuciscinae", "Rutilus",
      "Rutilus rutilus"), 0.05),
    (("Mollusca", "Gastropoda", "Stylommatophora", "Helicidae", "Helicinae", "Cepaea",
      "Cepaea nemoralis"), 0.15),
    (("Annelida", "Clitellata", "Crassiclitellata", "Lumbricidae", "Lumbricinae", "Lumbricus",
      "Lumbricus terrestris"), 0.10),
)  # fmt: skip
#: Specimens outside the scope per released record.
OUT_OF_SCOPE_SHARE = 0.001
