#!/usr/bin/env python3
"""
Self-consistency checks of the virtual-board fixtures (standard library only).

For every host-mode fixture this rebuilds the connection list from the
decoded synaptic rows (undelayed and delayed matrices of every post core)
and compares it with Projection.get(); it also re-decodes the master
population table from the raw region words, and checks the view facts of
the PopulationView fixtures (views/) against the rows and region 12.  Differences are printed; they
are properties of sPyNNaker 7.4.1 (the fixture records them), not errors
of the fixture, unless the decoding itself disagrees.

    python3 tools/oracle/check_fixtures.py [FIXTURE_DIR]
"""

import collections
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests",
                           "fixtures", "virtual-board-7.4.1")


def rows_to_connections(fx, core, mats, lo_atom, mac):
    """Yield (projection, pre, post, w_raw, delay_ticks) from decoded rows."""
    for m in mats["matrices"]:
        if "rows" in m:
            rows = m["rows"]
        elif "plastic_rows" in m:
            # plastic rows: the synapses are in "syn" (weight half-word and
            # control half-word decoded like a fixed word)
            rows = [row["syn"] for row in m["plastic_rows"]]
        else:
            continue
        proj = next(p for p in fx["projections_mapping"]
                    if p["projection"] == m["projection"])
        M = proj["post_max_support_delay_ticks"]
        S = proj["n_delay_stages"]
        for r, row in enumerate(rows):
            if m["delayed"]:
                core_i, rem = divmod(r, mac * S)
                stage = rem // mac + 1
                pre = core_i * mac + rem % mac
                extra = stage * M
            else:
                pre, extra = r, 0
            for s in row:
                yield (m["projection"], pre, lo_atom + s["idx"], s["w"],
                       s["d"] + extra, s["t"])


STDP_MATRIX_PARAMS = (
    "synaptic_matrix_offset_words", "delayed_matrix_offset_words",
    "max_row_n_synapses", "max_delayed_row_n_synapses",
    "max_row_n_words", "max_delayed_row_n_words", "synapse_type",
    "n_synapse_type_bits", "n_synapse_index_bits", "max_stage",
    "max_delay_per_stage", "max_delay_bits", "n_pre_atoms",
    "max_pre_atoms_per_core", "n_header_half_words",
    "n_half_words_per_synapse", "weight_half_word",
    "write_row_number_to_header", "row_offset")
UNUSED = 0xFFFFFFFF


def check_connection_builder(fx):
    """
    On-chip STDP fixtures: the decoded ConnectorBuilderRegion
    (connection_builder_decoded) against the raw region words and the
    block layout in synaptic_matrices.
    """
    problems = []
    for core, cb in fx.get("connection_builder_decoded", {}).items():
        raw = [int(x, 16) for x in
               fx["data_spec_regions_by_core"][core][str(cb["region"])]
               ["words_hex"]]
        mats = fx["synaptic_matrices"][core]["matrices"]
        plastic = {m["projection"] for m in mats
                   if "plastic_header_bytes" in m}
        if len(cb["edges"]) != raw[4]:
            problems.append(f"{core}: region 12 n_matrices {raw[4]} but "
                            f"{len(cb['edges'])} edges decoded")
        for e in cb["edges"]:
            lab = e["projection"]
            h = raw[e["word_offset"]: e["word_offset"] + 9]
            if h != list(e["edge_header"].values()):
                problems.append(f"{core} {lab}: edge header differs")
            want_id = 1 if lab in plastic else 0
            if e["edge_header"]["matrix_id"] != want_id:
                problems.append(f"{core} {lab}: matrix id "
                                f"{e['edge_header']['matrix_id']}, "
                                f"expected {want_id}")
            if "matrix_params" not in e:
                problems.append(f"{core} {lab}: matrix params not named")
                continue
            mp = e["matrix_params"]
            o = e["matrix_params_word_offset"]
            if raw[o: o + len(mp)] != list(mp.values()):
                problems.append(f"{core} {lab}: matrix params differ from "
                                "the region words")
            if want_id == 1 and tuple(mp) != STDP_MATRIX_PARAMS:
                problems.append(f"{core} {lab}: not 19 STDP matrix params")
            for m in mats:
                if m["projection"] != lab:
                    continue
                key = ("delayed_matrix_offset_words" if m["delayed"]
                       else "synaptic_matrix_offset_words")
                nw = ("max_delayed_row_n_words" if m["delayed"]
                      else "max_row_n_words")
                off = m["block_offset_bytes"]
                if (UNUSED if off is None else off // 4) != mp[key] or \
                        (off is not None and m["max_row_words"] != mp[nw]):
                    problems.append(f"{core} {lab}: {key}/{nw} differ "
                                    "from synaptic_matrices")
            n_del = next(p["n_delay_stages"] for p in
                         fx["projections_mapping"] if p["projection"] == lab)
            if mp["max_stage"] != n_del + 1:
                problems.append(f"{core} {lab}: max_stage {mp['max_stage']}"
                                f" with {n_del} delay stages")
    return problems


def check_views(fx):
    """
    Fixtures with projection_views (views/): the recorded view facts
    against each other, the ConnectorBuilderRegion edge headers (pre_lo,
    pre_hi, post_lo, post_hi are the view ranges), the row maxima against
    synaptic_matrices, and, for host fixtures, the connections decoded
    from the rows (global vertex atom indices) against
    host_connections_vs_view.
    """
    problems = []
    views = {r["projection"]: r for r in fx.get("projection_views", [])}
    if not views:
        return problems
    for lab, r in views.items():
        for side in ("pre", "post"):
            pop = r[side + "_population"]
            idx = pop.get("indexes")
            rng = [idx[0], idx[-1]] if idx else [0, pop["size"] - 1]
            if r["n_" + side + "_neurons"] != pop["size"]:
                problems.append(f"{lab}: n_{side}_neurons != view size")
            if r[side + "_view_range"] != rng or pop["view_range"] != rng:
                problems.append(f"{lab}: {side} view range {rng} expected")
            if r[side + "pop_is_view"] != (idx is not None):
                problems.append(f"{lab}: {side}pop_is_view inconsistent")
        calls = [c for c in r["host_connector_maximum_calls"]
                 if c["method"] ==
                 "get_n_connections_from_pre_vertex_maximum" and
                 c["min_delay"] == 0.0]
        for pc in r["per_post_core"]:
            core = pc["post_core"]
            mats = fx["synaptic_matrices"][core]["matrices"]
            m = [x for x in mats if x["projection"] == lab and
                 not x["delayed"]]
            if len(m) != 1 or m[0]["max_row_words"] != \
                    pc["max_row_info"]["undelayed_max_words"]:
                problems.append(f"{lab} {core}: max row words differ from "
                                "synaptic_matrices")
            if not any(c["n_post_atoms"] == pc["n_post_atoms_passed"] and
                       c["result"] ==
                       pc["max_row_info"]["undelayed_max_n_synapses"]
                       for c in calls):
                problems.append(f"{lab} {core}: no host call of "
                                "get_n_connections_from_pre_vertex_maximum "
                                "with the n_post_atoms passed and the row "
                                "maximum as result")
    for core, cb in fx.get("connection_builder_decoded", {}).items():
        for e in cb["edges"]:
            r = views[e["projection"]]
            h = e["edge_header"]
            if [h["pre_lo"], h["pre_hi"]] != r["pre_view_range"] or \
                    [h["post_lo"], h["post_hi"]] != r["post_view_range"]:
                problems.append(f"{core} {e['projection']}: edge header "
                                "ranges are not the view ranges")
    if fx.get("proj_get") is None:
        return problems
    conns = collections.defaultdict(list)
    for core, mats in fx["synaptic_matrices"].items():
        mv = next(m for m in fx["machine_vertices"] if m["label"] == core)
        app = mv["app_vertex"]
        mac = min(fx["max_atoms_per_core"][app],
                  next(a[2] for a in fx["app_vertices"] if a[0] == app))
        for (proj, pre, post, _w, _d, _t) in rows_to_connections(
                fx, core, mats, mv["lo_atom"], mac):
            conns[proj].append((pre, post))
    for lab, r in views.items():
        hv = r.get("host_connections_vs_view")
        if hv is None:
            continue
        c = conns[lab]
        (plo, phi), (qlo, qhi) = r["pre_view_range"], r["post_view_range"]
        got = {
            "n_connections": len(c),
            "pre_index_range": ([min(x[0] for x in c), max(x[0] for x in c)]
                                if c else None),
            "post_index_range": ([min(x[1] for x in c), max(x[1] for x in c)]
                                 if c else None),
            "n_pre_outside_view_range": sum(
                1 for x in c if not plo <= x[0] <= phi),
            "n_post_outside_view_range": sum(
                1 for x in c if not qlo <= x[1] <= qhi),
            "n_global_self_connections": sum(1 for x in c if x[0] == x[1])}
        for k, v in got.items():
            if hv[k] != v:
                problems.append(f"{lab}: host_connections_vs_view {k} "
                                f"{hv[k]}, rows give {v}")
    return problems


def check(path):
    fx = json.load(open(path))
    problems = []
    post_label = {}
    for mv in fx["machine_vertices"]:
        post_label[mv["label"]] = mv
    # pop table raw vs decoded
    for core, pt in fx.get("master_pop_tables", {}).items():
        raw = [int(x, 16) for x in pt["raw"]]
        if raw[0] != len(pt["entries"]) or raw[1] != len(pt["address_list"]):
            problems.append(f"{core}: pop table header mismatch")
    problems.extend(check_connection_builder(fx))
    problems.extend(check_views(fx))
    if fx.get("proj_get") is None:
        return problems
    net = fx["network"]
    dt = net["timestep"]
    got = collections.Counter()
    for core, mats in fx["synaptic_matrices"].items():
        mv = post_label[core]
        app = mv["app_vertex"]
        mac = min(fx["max_atoms_per_core"][app],
                  next(a[2] for a in fx["app_vertices"] if a[0] == app))
        for (proj, pre, post, w, d, t) in rows_to_connections(
                fx, core, mats, mv["lo_atom"], mac):
            got[(proj, pre, post, w, d)] += 1
    want = collections.Counter()
    for proj in net["projections"]:
        lab = proj["label"]
        rt = proj["receptor_type"]
        post = proj["post"]
        stype = 0 if rt == "excitatory" else 1
        scale = fx["weight_scales"][post][stype]
        # FromList: the requested list is the truth; otherwise what the
        # host generated is only visible through Projection.get()
        if proj["connector"]["type"] == "FromListConnector":
            conns = proj["connector"]["conn_list"]
        else:
            conns = fx["proj_get"][lab]
        for (i, j, w, d) in conns:
            # numpy.rint rounds half to even, as Python's round does
            want[(lab, int(i), int(j), round(abs(w) * scale) & 0xFFFF,
                  int(round(d / dt)))] += 1
    dropped = sum(r.get("n_delayed_row_index_out_of_range", 0)
                  for r in fx.get("host_generation", []))
    # rows beyond the pre population (OneToOne generates source == n_pre)
    dropped_undelayed = sum(
        r.get("n_undelayed_row_index_out_of_range", 0)
        for r in fx.get("host_generation", []))
    generated = sum(r["n_generated"] for r in fx.get("host_generation", []))
    in_rows = sum(got.values())
    if generated and generated - dropped - dropped_undelayed != in_rows:
        problems.append(
            f"host generated {generated}, {dropped} out of range, but "
            f"{in_rows} synapses decoded from rows")
    extra = got - want
    missing = want - got
    if extra:
        problems.append(f"{sum(extra.values())} synapses in rows that were "
                        f"not requested, e.g. {list(extra)[:3]}")
    if missing and sum(missing.values()) != dropped:
        problems.append(f"{sum(missing.values())} requested synapses not in "
                        f"rows (expected {dropped} dropped)")
    notes = []
    if dropped:
        notes.append(f"note: {dropped} delayed synapses dropped by the host "
                     "row layout (sPyNNaker 7.4.1 behaviour)")
    # Projection.get() against the rows (it reads the delayed matrix back
    # with stage = row // n_pre_atoms)
    pg = collections.Counter()
    for proj in net["projections"]:
        lab = proj["label"]
        stype = 0 if proj["receptor_type"] == "excitatory" else 1
        scale = fx["weight_scales"][proj["post"]][stype]
        for (i, j, w, d) in fx["proj_get"][lab]:
            pg[(lab, int(i), int(j), round(abs(w) * scale) & 0xFFFF,
                int(round(d / dt)))] += 1
    if pg != got:
        notes.append(f"note: Projection.get() differs from the rows for "
                     f"{sum((pg - got).values())} connections (delayed "
                     "read-back formula of sPyNNaker 7.4.1)")
    problems.extend(notes)
    return problems


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    bad = 0
    paths = sorted(glob.glob(os.path.join(d, "*.json")))
    # the STDP fixtures (plastic rows) are in the stdp/ subdirectory
    paths += sorted(glob.glob(os.path.join(d, "stdp", "*.json")))
    # projections between PopulationViews
    paths += sorted(glob.glob(os.path.join(d, "views", "*.json")))
    for path in paths:
        probs = check(path)
        name = os.path.relpath(path, d)
        if probs:
            bad += 1
            print(f"{name}:")
            for p in probs:
                print("   ", p)
        else:
            print(f"{name}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
