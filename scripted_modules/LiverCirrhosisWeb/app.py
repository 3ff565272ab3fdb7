"""The reader-study web app: case list, slice and 3D views, liver/spleen segments with paint/erase, attention
overlay, Stage / Re-stage through the engine, a reader form that keeps the model's answer out of the browser until
the reader's own answer is stored, and the reader's agreement summary. One process per reader session (started by
the launcher), one scene; answers go to the shared SQLite answer store as they are given."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from trame.app import TrameApp
from trame.ui.vuetify3 import VAppLayout
from trame.widgets import html
from trame.widgets import vuetify3 as v3
from trame_slicer import module as trame_slicer_module
from trame_slicer.app.ui.flex_container import FlexContainer
from trame_slicer.core import LayoutManager, SlicerApp
from trame_slicer.rca_view import register_rca_factories
from trame_slicer.segmentation.segmentation_effect_paint_erase import SegmentationEffectErase, SegmentationEffectPaint

from CirrhosisStaging.data.labels import LIVER
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.staging.stages import STAGES, stage_label
from LiverCirrhosisLib import CirrhosisStagingLogic, SceneContext
from LiverCirrhosisLib.segmentation_nodes import segment_id_for

from .answer_store import AnswerStore
from .cases import ReaderCase
from .mask_notes import mask_check_reasons, other_warnings
from .study_records import ReaderAnswer, agreement_summary

POLL_SECONDS = 0.3


class ReaderStudyApp(TrameApp):
    def __init__(self, cases: list[ReaderCase], store: AnswerStore, reader_id: str = "", server=None,
                 work_folder=None, device: str = "cpu"):
        super().__init__(server)
        self.server.enable_module(trame_slicer_module)
        self.cases, self.store, self.device = cases, store, device
        self.slicer = SlicerApp()
        self.scene = self.slicer.scene
        register_rca_factories(self.slicer.view_manager, self.server)
        self.layout_manager = LayoutManager(self.scene, self.slicer.view_manager, self.server)
        self.layout_manager.register_layout_dict(LayoutManager.default_grid_configuration())
        self.logic = CirrhosisStagingLogic(
            SceneContext(self.scene, self.slicer.app_logic, self.slicer.volumes_logic, self.slicer.segmentations_logic),
            work_folder, device=device)
        self.case_nodes = None          # LiverCirrhosisLib CaseNodes of the current case
        self.volumes = {}
        self.pending = None
        self.case_started = time.monotonic()
        self.mask_edited = False
        self._tracking_edits = False    # off while the app itself sets up segmentations
        self.slicer.segmentation_editor.segmentation_modified.connect(self._on_mask_modified)
        self._init_state(reader_id)
        self._build_ui()
        self.layout_manager.set_layout("Axial Primary")

    # -- state -------------------------------------------------------------------------------------------------

    def _init_state(self, reader_id):
        state = self.state
        state.trame__title = "Cirrhosis Staging reader study"
        state.reader_id = reader_id
        state.case_index = -1
        state.case_items = []
        state.case_error = ""
        state.sequence = "t2"
        state.sequences_available = []
        state.status = "Choose a case."
        state.busy = False
        state.model_ready = False
        state.revealed = False
        state.model_stage = ""
        state.model_probabilities = ""
        state.model_notice = ""
        state.model_warnings = ""
        state.mask_check = ""
        state.reader_stage = None
        state.reader_confidence = 3
        state.attention_visible = True
        state.attention_opacity = 0.5
        state.edit_mode = "none"
        state.liver_ml = 0.0
        state.mask_edited = False
        state.show_summary = False
        state.summary = agreement_summary([])
        self._refresh_case_items()
        state.change("attention_visible", "attention_opacity")(self._on_attention_display)
        state.change("sequence")(self._on_sequence)
        state.change("edit_mode")(self._on_edit_mode)
        state.change("reader_id")(self._on_reader_id)

    def _reader(self) -> str:
        return (self.state.reader_id or "").strip()

    def _refresh_case_items(self):
        done = self.store.answered_cases(self._reader())
        self.state.case_items = [{"title": c.case_id, "value": i, "done": c.case_id in done}
                                 for i, c in enumerate(self.cases)]
        self.state.progress_text = f"{len(done.keys() & {c.case_id for c in self.cases})} / {len(self.cases)} answered"

    # -- case loading ------------------------------------------------------------------------------------------

    def load_case(self, index):
        index = int(index)
        case = self.cases[index]
        state = self.state
        self._cancel_pending()
        state.case_index, state.case_error, state.revealed, state.model_ready = index, "", False, False
        self._hide_model_answer()
        state.mask_check = ""
        state.reader_stage, state.reader_confidence, state.edit_mode = None, 3, "none"
        self.case_nodes, self.volumes, self.mask_edited, self._tracking_edits = None, {}, False, False
        state.mask_edited, state.liver_ml = False, 0.0
        self.scene.Clear()   # before loading (trame-slicer: Paint/Erase need a fresh scene per case)
        try:
            for sequence, path in (("t1", case.t1), ("t2", case.t2)):
                if path is None:
                    continue
                nodes = self.slicer.io_manager.load_volumes([str(path)])
                if not nodes:
                    raise InputError(path, "could not be read as a volume")
                self.volumes[sequence] = nodes[0]
        except Exception as error:   # one bad case must not stop the study: show it, keep serving
            self.scene.Clear()
            self.volumes = {}
            state.case_error = _one_line(error)
            state.status = "This case could not be loaded."
            state.sequences_available = []
            return
        state.sequences_available = list(self.volumes)
        state.sequence = "t2" if "t2" in self.volumes else "t1"
        self._show_sequence(state.sequence)
        self.case_started = time.monotonic()
        self._sync_answer()
        state.status = f"Case {case.case_id} loaded. Staging..."
        self.stage()

    def _show_sequence(self, sequence):
        volume = self.volumes.get(sequence)
        if volume is None:
            return
        self.slicer.display_manager.show_volume(volume, do_reset_views=True)
        # The 3D view shows the liver and spleen surfaces; volume rendering of the whole body hides them.
        self.slicer.volume_rendering.get_vr_display_node(volume).SetVisibility(False)
        if self.case_nodes and sequence in self.case_nodes.segmentations:
            self._tracking_edits = False
            self.slicer.segmentation_editor.set_active_segmentation(self.case_nodes.segmentations[sequence], volume)
            self.slicer.segmentation_editor.show_3d(True)
            self._select_liver()
            self._update_liver_ml()
            self._tracking_edits = True
            self.slicer.display_manager.reset_views()
        self._on_attention_display()

    def _on_sequence(self, sequence, **_):
        self._show_sequence(sequence)
        self._show_mask_check()

    # -- staging -----------------------------------------------------------------------------------------------

    def stage(self):
        if not self.volumes or self.pending is not None:
            return
        segmentations = self.case_nodes.segmentations if self.case_nodes else None
        try:
            self.pending = self.logic.process(t1=self.volumes.get("t1"), t2=self.volumes.get("t2"),
                                              segmentations=segmentations, previous=self.case_nodes, wait=False,
                                              force_cpu=self.device == "cpu")
        except InputError as error:
            self.state.status = _one_line(error)
            return
        self.state.busy = True
        asyncio.ensure_future(self._wait_for_engine())

    async def _wait_for_engine(self):
        pending = self.pending
        while pending.job.running:
            with self.state:
                self.state.status = f"Engine: {pending.job.state} ({int(100 * pending.job.progress)}%)"
            await asyncio.sleep(POLL_SECONDS)
        with self.state:
            self.pending, self.state.busy = None, False
            if pending.job.state == "cancelled":
                return
            try:
                self.case_nodes = pending.complete()
            except InputError as error:
                self.state.status = f"Staging failed: {_one_line(error)}"
                return
            self._after_staging()

    def _after_staging(self):
        state = self.state
        state.model_ready = True
        if state.revealed:
            self._reveal_model_answer()
        self._show_mask_check()
        if self.case_nodes.previous_result:
            done = "Re-staged with the edited mask." if self.mask_edited else "Re-staged (mask unchanged)."
        else:
            done = "Staged."
        state.status = done + ("" if state.revealed else " Enter your stage to reveal the model's.")
        self._show_sequence(state.sequence)

    # -- blinding: the model's answer reaches the browser state only once this reader's answer is stored -------

    def _reveal_model_answer(self):
        result = self.case_nodes.result
        self.state.model_stage = stage_label(result["stage"])
        self.state.model_probabilities = "  ".join(f"{k} {v:.2f}" for k, v in result["probabilities"].items()
                                                   if v is not None)
        self.state.model_notice = result.get("notice") or ""
        self.state.model_warnings = " ".join(other_warnings(result))

    def _hide_model_answer(self):
        state = self.state
        state.model_stage = state.model_probabilities = state.model_notice = state.model_warnings = ""

    def _sync_answer(self):
        """Show this reader's stored answer for the open case (a reloaded page, another tab, a changed reader ID),
        or hide the model's answer when this reader has not answered it yet."""
        state = self.state
        if state.case_index < 0:
            return
        answered = self.store.answered_cases(self._reader()).get(self.cases[state.case_index].case_id)
        if answered:   # answered before: show it, never ask twice
            state.reader_stage, state.reader_confidence = answered["reader_stage"], int(answered["reader_confidence"])
            state.revealed = True
            if state.model_ready:
                self._reveal_model_answer()
        else:
            state.revealed = False
            state.reader_stage, state.reader_confidence = None, 3
            self._hide_model_answer()

    def _on_reader_id(self, **_):
        self._refresh_case_items()
        self._sync_answer()

    def _show_mask_check(self):
        """Mask quality is not the model's stage: shown before the reader answers."""
        if not self.case_nodes:
            self.state.mask_check = ""
            return
        reasons = mask_check_reasons(self.case_nodes.result, self.state.sequence)
        self.state.mask_check = ("Check the liver mask: " + "; ".join(reasons)) if reasons else ""

    def _cancel_pending(self):
        if self.pending is not None:
            self.pending.job.cancel()
            self.pending = None
            self.state.busy = False

    # -- editing -----------------------------------------------------------------------------------------------

    def _select_liver(self):
        segmentation = self.case_nodes.segmentations[self.state.sequence]
        liver_id = segment_id_for(segmentation, LIVER)
        if liver_id:
            self.slicer.segmentation_editor.set_active_segment_id(liver_id)

    def _on_edit_mode(self, edit_mode, **_):
        editor = self.slicer.segmentation_editor
        if not self.case_nodes:
            return
        self._select_liver()
        if edit_mode == "paint":
            editor.set_active_effect_type(SegmentationEffectPaint)
        elif edit_mode == "erase":
            editor.set_active_effect_type(SegmentationEffectErase)
        else:
            editor.deactivate_effect()

    def _on_mask_modified(self, *_):
        if self.case_nodes is None or self.pending is not None or not self._tracking_edits:
            return
        self.mask_edited = True
        with self.state:
            self.state.mask_edited = True
            self._update_liver_ml()

    def _update_liver_ml(self):
        segmentation = self.case_nodes.segmentations.get(self.state.sequence)
        volume = self.volumes.get(self.state.sequence)
        liver_id = segment_id_for(segmentation, LIVER) if segmentation else None
        if not liver_id:
            return
        voxels = self.slicer.segmentation_editor.get_segment_labelmap(liver_id, as_numpy_array=True)
        spacing = volume.GetSpacing()
        count = 0 if voxels is None else int((voxels > 0).sum())
        self.state.liver_ml = round(count * spacing[0] * spacing[1] * spacing[2] / 1000.0, 1)

    # -- attention ---------------------------------------------------------------------------------------------

    def _on_attention_display(self, **_):
        if not self.case_nodes or self.state.sequence not in self.case_nodes.attention:
            return
        attention = self.case_nodes.attention[self.state.sequence]
        for view in self.slicer.view_manager.get_slice_views():
            view.set_foreground_volume_id(attention.GetID() if self.state.attention_visible else None)
            view.set_foreground_opacity(float(self.state.attention_opacity))

    # -- reader ------------------------------------------------------------------------------------------------

    def submit_reader(self):
        state = self.state
        if state.reader_stage not in STAGES or not state.model_ready or state.case_index < 0 or state.revealed:
            return
        if not self._reader():
            state.status = "Enter your reader ID first."
            return
        case = self.cases[state.case_index]
        result = self.case_nodes.result
        stored = self.store.add(ReaderAnswer(
            reader_id=self._reader(), case_id=case.case_id, reader_stage=state.reader_stage,
            reader_confidence=int(state.reader_confidence), model_stage=result["stage"],
            p_mild=round(result["probabilities"]["mild"], 4), p_moderate=round(result["probabilities"]["moderate"], 4),
            p_severe=round(result["probabilities"]["severe"], 4),
            p_none=None if result["probabilities"].get("none") is None else round(result["probabilities"]["none"], 4),
            seconds_spent=round(time.monotonic() - self.case_started, 1), mask_edited=self.mask_edited,
            truth_stage=case.truth or "", model_demonstration_only=bool(result.get("demonstration_only")),
            answered_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
        self._sync_answer()   # stored now (or earlier, from another tab: that first answer is the one kept)
        state.status = "Answer saved." if stored else "You had already answered this case; your first answer is kept."
        self._refresh_case_items()

    def next_case(self):
        if self.state.case_index + 1 < len(self.cases):
            self.load_case(self.state.case_index + 1)

    def open_summary(self):
        # This reader's answers only: other readers' answers (and the model's stages on cases this reader has
        # not seen) stay out of the page. The study-wide summary is `cirrhosis-staging study-export`.
        self.state.summary = agreement_summary(self.store.answers(self._reader()))
        self.state.show_summary = True

    # -- UI ----------------------------------------------------------------------------------------------------

    def _build_ui(self):
        with VAppLayout(self.server, full_height=True) as layout:
            layout.root.theme = "dark"
            with v3.VAppBar(density="compact"):
                v3.VToolbarTitle("Cirrhosis Staging reader study")
                v3.VChip("{{ progress_text }}", id="progress", classes="mr-2")
                v3.VBtn("Summary", id="summary-button", click=self.open_summary)
            with v3.VNavigationDrawer(permanent=True, width=380, location="left"):
                with v3.VContainer(classes="pa-2"):
                    v3.VTextField(v_model=("reader_id",), label="Reader ID", density="compact", id="reader-id")
                    with v3.VList(density="compact", id="case-list", max_height=180, classes="mb-2"):
                        v3.VListItem(v_for="item in case_items", key="item.value", title=("item.title",),
                                     id=("'case-' + item.title",), active=("item.value === case_index",),
                                     append_icon=("item.done ? 'mdi-check' : ''",),
                                     click=(self.load_case, "[item.value]"))
                    v3.VAlert("{{ case_error }}", type="error", v_if=("case_error",), id="case-error",
                              density="compact")
                    v3.VBtnToggle(v_model=("sequence",), items=("sequences_available",), density="compact",
                                  mandatory=True, classes="mb-2")
                    html.Div("{{ status }}", id="status", classes="text-caption mb-2")
                    with html.Div(classes="d-flex ga-2 mb-2"):
                        v3.VBtn("Stage", id="stage-button", click=self.stage, disabled=("busy || case_index < 0",))
                        v3.VBtn("Re-stage", id="restage-button", click=self.stage,
                                disabled=("busy || !model_ready",))
                    v3.VDivider(classes="my-2")
                    html.Div("Liver mask: {{ liver_ml }} mL{{ mask_edited ? ' (edited)' : '' }}", id="liver-ml",
                             classes="text-body-2")
                    v3.VAlert("{{ mask_check }}", type="warning", v_if=("mask_check",), id="mask-check",
                              density="compact", classes="my-1")
                    with v3.VBtnToggle(v_model=("edit_mode",), density="compact", mandatory=True, classes="my-2"):
                        v3.VBtn("View", value="none", id="mode-none")
                        v3.VBtn("Paint liver", value="paint", id="mode-paint", disabled=("!model_ready",))
                        v3.VBtn("Erase liver", value="erase", id="mode-erase", disabled=("!model_ready",))
                    v3.VCheckbox(v_model=("attention_visible",), label="Attention overlay", density="compact",
                                 id="attention-visible", hide_details=True)
                    v3.VSlider(v_model=("attention_opacity",), min=0, max=1, step=0.05, label="Opacity",
                               density="compact", id="attention-opacity", hide_details=True)
                    v3.VDivider(classes="my-2")
                    html.Div("Your stage (before the model's is shown)", classes="text-subtitle-2")
                    with v3.VRadioGroup(v_model=("reader_stage",), inline=True, id="reader-stage",
                                        disabled=("revealed",)):
                        for name in STAGES:
                            v3.VRadio(label=stage_label(name), value=name, id=f"reader-{name}")
                    v3.VSlider(v_model=("reader_confidence",), min=1, max=5, step=1, show_ticks="always",
                               label="Confidence", density="compact", disabled=("revealed",), id="confidence")
                    v3.VBtn("Submit and reveal", id="reveal-button", click=self.submit_reader, color="primary",
                            disabled=("revealed || !reader_stage || !model_ready",))
                    with v3.VCard(v_if=("revealed && model_ready",), id="model-answer", classes="mt-2 pa-2"):
                        html.Div("Model: {{ model_stage }}", id="model-stage", classes="text-h6")
                        html.Div("{{ model_probabilities }}", classes="text-caption")
                        html.Div("{{ model_notice }}", classes="text-caption text-warning")
                        html.Div("{{ model_warnings }}", id="model-warnings", classes="text-caption text-warning")
                    v3.VBtn("Next case", id="next-button", click=self.next_case, classes="mt-2",
                            disabled=("!revealed",))
            with v3.VMain():
                with FlexContainer(row=True, fill_height=True):
                    self.layout_manager.initialize_layout_grid(layout)
            with v3.VDialog(v_model=("show_summary",), max_width=600):
                with v3.VCard(id="summary-card", classes="pa-4"):
                    v3.VCardTitle("{{ reader_id }} vs model")
                    html.Div("Answers: {{ summary.answers }}", id="summary-answers")
                    html.Div("Cohen's kappa: {{ summary.kappa === null ? '-' : summary.kappa.toFixed(3) }}; "
                             "quadratic: {{ summary.quadratic_kappa === null ? '-' : "
                             "summary.quadratic_kappa.toFixed(3) }}", id="summary-kappa")
                    html.Div(f"Confusion (rows reader, columns model; {', '.join(STAGES)}): "
                             "{{ JSON.stringify(summary.confusion_reader_vs_model) }}")
                    html.Div("With a reference stage: {{ summary.with_reference }}; reader accuracy "
                             "{{ summary.reader_accuracy === null ? '-' : summary.reader_accuracy.toFixed(2) }}, "
                             "model accuracy {{ summary.model_accuracy === null ? '-' : "
                             "summary.model_accuracy.toFixed(2) }}")
                    v3.VBtn("Close", click="show_summary = false")
        self.ui = layout


def _one_line(error) -> str:
    return " ".join(str(error).split())
