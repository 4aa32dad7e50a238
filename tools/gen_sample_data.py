#!/usr/bin/env python3
"""Writes the demo's sample data (data/sample/*.jsonl): flagged shipments shaped after 2025 public
diversion cases (transshipment through Singapore, Malaysia and Thailand, payment from Hong Kong,
goods declared as "adapter modules"), shipment events, and procurement commitments shaped after the
2025 US-EU arrangement. All names are fictional. Deterministic: the same output every run.

Each line is one payload in the proto3 JSON mapping (the header is filled in by coalctl import).
"""
import json
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sample")
DAY_MS = 86_400_000
BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z

SHIPPERS = ["Apex Compute Distribution LLC", "Northbridge Systems Inc.", "Silverline IT Supply Corp."]
CONSIGNEES = [
    ("Lucky Star Trading Co., Ltd.", "SG"), ("Lucky-Star Trading Pte. Ltd.", "SG"),
    ("Golden Harbor Logistics Sdn Bhd", "MY"), ("Golden Harbour Logistic Sdn. Bhd.", "MY"),
    ("Siam Bright Electronics Co., Ltd.", "TH"), ("Pacific Rim Components Limited", "SG"),
    ("Meridian Data Solutions Pte Ltd", "SG"), ("Orchid Tech Supply Co., Ltd.", "TH"),
]
INTERMEDIARIES = [("Harbourfront Freight Forwarding Ltd", "HK"), ("Kowloon Bay Payments Limited", "HK"),
                  ("Straits Express Cargo Pte Ltd", "SG")]
# Catalog ids from data/chips.json, so screening can evaluate the items.
CHIPS = [("nvidia-h100-sxm5-80gb", "8473.30"), ("nvidia-h200-sxm-141gb", "8473.30"),
         ("nvidia-a100-sxm4-80gb", "8542.31"), ("nvidia-h100-pcie-80gb", "8471.50")]
REASONS = ["first-time bulk buyer", "residential delivery address", "minimal web presence",
           "freight forwarder not normally in the trade", "payment from a third country",
           "goods declared as adapter modules", "invoice names a non-existent buyer"]


def shipments(rng):
    out = []
    for i in range(36):
        consignee, country = CONSIGNEES[i % len(CONSIGNEES)]
        chip, hs = CHIPS[i % len(CHIPS)]
        qty = rng.choice([8, 16, 32, 64, 128])
        serial_base = 1_320_000_000 + i * 1000
        hub = {"SG": "SGSIN", "MY": "MYPKG", "TH": "THLCH"}[country]
        out.append({
            "shipment_id": f"BL-2025-{1000 + i}",
            "hs_codes": [hs],
            "items": [{"chip_model": chip, "quantity": qty,
                       "serial_numbers": [f"{serial_base + k}" for k in range(min(qty, 4))],
                       "declared_description": "adapter modules" if i % 3 == 0 else "computer parts"}],
            "shipper": {"name": SHIPPERS[i % len(SHIPPERS)], "country": "US"},
            "consignee": {"name": consignee, "country": country},
            "intermediaries": [{"name": n, "country": c} for n, c in INTERMEDIARIES[: 1 + i % 3]],
            "declared_destination": country,
            "suspected_destination": "CN",
            "route": ["USLAX", hub, "HKHKG"] if i % 2 == 0 else ["USSFO", hub],
            "flag_reasons": rng.sample(REASONS, 2),
            "shipped_at_ms": str(BASE_MS + (30 + i * 7) * DAY_MS),
        })
    return out


def events(ships):
    out = []
    for i, s in enumerate(ships[:12]):
        path = [("SHIPMENT_UNDER_REVIEW", "documents requested from forwarder")]
        if i % 3 != 2:
            path.append(("SHIPMENT_DETAINED", f"held at {s['route'][1]}"))
        if i % 3 == 0:
            path.append(("SHIPMENT_SEIZED", "relabelled GPU boards found"))
        if i % 3 == 2:
            path.append(("SHIPMENT_CLEARED", "end user verified"))
        for state, note in path:
            out.append({"shipment_id": s["shipment_id"], "new_state": state, "note": note})
    return out


def commitments():
    return [
        {"commitment_id": "EU-US-2025-AI-CHIPS", "buyer": "eu-dg-trade", "vendors": ["NVIDIA", "AMD"],
         "amount": {"units": "40000000000", "currency": "USD"},
         "chip_category": "3A090.a datacenter accelerators", "quantity": "1200000",
         "period_start_ms": str(1_756_684_800_000), "period_end_ms": str(1_861_920_000_000),
         "security_standards": ["aligned technology-security requirements", "non-transshipment"],
         "note": "shaped after the US-EU joint statement of 21 August 2025"},
        {"commitment_id": "CLOUD-A-2026-H2", "buyer": "cloud-a", "vendors": ["NVIDIA"],
         "amount": {"units": "2500000000", "currency": "USD"},
         "chip_category": "3A090.a datacenter accelerators", "quantity": "80000",
         "period_start_ms": str(1_767_225_600_000), "period_end_ms": str(1_798_761_600_000),
         "security_standards": ["know-your-customer screening", "remote attestation"]},
    ]


def deliveries():
    return [
        {"commitment_id": "EU-US-2025-AI-CHIPS", "vendor": "NVIDIA",
         "amount": {"units": "6000000000", "currency": "USD"}, "quantity": "180000",
         "delivered_at_ms": str(1_767_225_600_000 + 40 * DAY_MS), "reference": "tranche 1"},
        {"commitment_id": "EU-US-2025-AI-CHIPS", "vendor": "AMD",
         "amount": {"units": "2000000000", "currency": "USD"}, "quantity": "70000",
         "delivered_at_ms": str(1_767_225_600_000 + 120 * DAY_MS), "reference": "tranche 2"},
        {"commitment_id": "CLOUD-A-2026-H2", "vendor": "NVIDIA",
         "amount": {"units": "900000000", "currency": "USD"}, "quantity": "28000",
         "delivered_at_ms": str(1_767_225_600_000 + 200 * DAY_MS), "reference": "rack batch 1"},
    ]


def write(name, rows):
    with open(os.path.join(OUT, name), "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(2025)
    ships = shipments(rng)
    write("shipments.jsonl", ships)
    write("shipment_events.jsonl", events(ships))
    write("commitments.jsonl", commitments())
    write("deliveries.jsonl", deliveries())


if __name__ == "__main__":
    main()
