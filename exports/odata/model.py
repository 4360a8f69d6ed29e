"""The feed's entity model: properties from the data columns (exports/analysis/datarows.py), and the
CSDL XML of $metadata.

Choice codes are Edm.Int32 (with their value labels in Core.LongDescription and the entity set
ValueLabels), not EnumType: Power BI's and Excel's OData connector turn an enumeration into text of its
member names, which must be identifiers ("_1"), so the numeric codes of the codebook and the missing
codes -1/-9 would be lost; an Int32 column keeps the same values as the CSV, SPSS and Stata files,
and ValueLabels can be joined in Power Query where labels are wanted.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from exports.analysis import missing
from exports.analysis.datarows import Column

NAMESPACE = "Ruecklauf"
CORE = "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class Prop:
    name: str
    edm: str  # Edm.Int32, Edm.Int64, Edm.Decimal, Edm.Double, Edm.String, Edm.Boolean, Edm.DateTimeOffset
    label: str = ""
    long: str = ""
    nullable: bool = True


@dataclass(frozen=True)
class EntitySet:
    name: str
    type_name: str
    props: tuple[Prop, ...]
    key: str = "id"

    def prop_map(self) -> dict[str, Prop]:
        return {p.name: p for p in self.props}


def _edm(column: Column) -> str:
    if column.kind == "meta":
        return "Edm.String" if column.code == "status" else "Edm.DateTimeOffset"
    if column.kind == "number":
        return "Edm.Decimal"
    if column.numeric:
        return "Edm.Int32"
    return "Edm.String"


def _value_labels(column: Column) -> str:
    labels = dict(column.value_labels)
    if column.has_missing_codes:
        labels.update(missing.LABELS)
    return "; ".join(f"{code} = {label}" for code, label in labels.items())


def property_name(code: str) -> str:
    """The variable code itself (the codes are a contract); an odd one made a valid identifier."""
    if _IDENTIFIER.match(code):
        return code
    name = re.sub(r"[^A-Za-z0-9_]", "_", code)
    return name if re.match(r"^[A-Za-z_]", name) else f"_{name}"


def responses_set(cols: list[Column]) -> EntitySet:
    props = [Prop("id", "Edm.Int64", "Antwort-Nummer (Schlüssel)", nullable=False)]
    props += [Prop(property_name(c.code), _edm(c), c.label, _value_labels(c)) for c in cols]
    return EntitySet("Responses", "Response", tuple(props))


VALUE_LABELS = EntitySet("ValueLabels", "ValueLabel", (
    Prop("id", "Edm.Int32", "Laufende Nummer", nullable=False),
    Prop("variable", "Edm.String", "Variable (Eigenschaft von Responses)"),
    Prop("code", "Edm.String", "Code, wie er in der Variable steht"),
    Prop("value", "Edm.Int32", "Code als Zahl (leer, wenn der Code keine Zahl ist)"),
    Prop("label", "Edm.String", "Beschriftung"),
))

RESULTS = EntitySet("Results", "Result", (
    Prop("id", "Edm.Int32", "Laufende Nummer", nullable=False),
    Prop("question", "Edm.String", "Frage (Code)"),
    Prop("variable", "Edm.String", "Variable (bei Matrixfragen die Zeile)"),
    Prop("text", "Edm.String", "Fragetext"),
    Prop("code", "Edm.String", "Antwortcode"),
    Prop("label", "Edm.String", "Antwort"),
    Prop("count", "Edm.Int32", "Anzahl; leer, wenn sie nicht veröffentlicht werden darf"),
    Prop("percent", "Edm.Double", "Anteil an der Basis (0 bis 1); leer, wenn die Basis unter der Mindestbasis liegt"),
    Prop("base", "Edm.Int32", "Basis (gültige Antworten)"),
    Prop("protected", "Edm.Boolean", "Anteil oder Anzahl wegen kleiner Zahlen nicht ausgewiesen"),
))


def metadata_xml(sets: list[EntitySet]) -> bytes:
    """CSDL (OData v4) of the given entity sets, labels as Core.Description annotations."""
    edmx = "http://docs.oasis-open.org/odata/ns/edmx"
    ET.register_namespace("edmx", edmx)
    root = ET.Element(f"{{{edmx}}}Edmx", {"Version": "4.0"})
    ref = ET.SubElement(root, f"{{{edmx}}}Reference", {"Uri": CORE})
    ET.SubElement(ref, f"{{{edmx}}}Include", {"Namespace": "Org.OData.Core.V1", "Alias": "Core"})
    services = ET.SubElement(root, f"{{{edmx}}}DataServices")
    schema = ET.SubElement(services, "Schema", {"xmlns": "http://docs.oasis-open.org/odata/ns/edm",
                                                "Namespace": NAMESPACE})
    for entity_set in sets:
        etype = ET.SubElement(schema, "EntityType", {"Name": entity_set.type_name})
        ET.SubElement(ET.SubElement(etype, "Key"), "PropertyRef", {"Name": entity_set.key})
        for prop in entity_set.props:
            attrs = {"Name": prop.name, "Type": prop.edm}
            if not prop.nullable:
                attrs["Nullable"] = "false"
            if prop.edm == "Edm.Decimal":
                attrs["Scale"] = "variable"
            element = ET.SubElement(etype, "Property", attrs)
            if prop.label:
                ET.SubElement(element, "Annotation", {"Term": "Core.Description", "String": prop.label})
            if prop.long:
                ET.SubElement(element, "Annotation", {"Term": "Core.LongDescription", "String": prop.long})
    container = ET.SubElement(schema, "EntityContainer", {"Name": "Container"})
    for entity_set in sets:
        ET.SubElement(container, "EntitySet", {"Name": entity_set.name,
                                               "EntityType": f"{NAMESPACE}.{entity_set.type_name}"})
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
