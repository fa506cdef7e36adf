/**
 * Queue mode's DOM: the waiting panel and the call-back slot list and confirmation (index.html).
 * Which screen is visible is JoinView's job (data-screen-id); this fills in the queue texts from
 * queue-model.ts with textContent only, and reports the customer's taps.
 */
import type { BookedModel, QueuePanelModel, SlotsModel } from './queue-model';
import { byId, byTestId } from './dom-lookup';

export interface QueueViewHandlers {
  onLeave(): void;
  onOpenCallback(): void;
  onBackToQueue(): void;
  onBook(slotStart: number): void;
}

export interface QueueViewModel {
  /** null hides the panel. */
  panel: QueuePanelModel | null;
  slots: SlotsModel | null;
  booked: BookedModel | null;
  bookedSlotStart: number | null;
}

export class QueueView {
  private readonly panel: HTMLElement;
  private readonly position: HTMLElement;
  private readonly wait: HTMLElement;
  private readonly note: HTMLElement;
  private readonly leave: HTMLButtonElement;
  private readonly callbackOpen: HTMLButtonElement;
  private readonly slotsMessage: HTMLElement;
  private readonly slotDays: HTMLElement;
  private readonly bookedTime: HTMLElement;
  private readonly bookedNote: HTMLElement;
  /** The slot list is rebuilt only when it changed, so a poll does not steal the focus from a slot button. */
  private renderedSlots = '';

  constructor(
    private readonly doc: Document,
    private readonly handlers: QueueViewHandlers,
  ) {
    this.panel = byTestId(doc, 'queue-screen');
    this.position = byTestId(doc, 'queue-position');
    this.wait = byTestId(doc, 'queue-wait');
    this.note = byTestId(doc, 'queue-note');
    this.leave = byTestId(doc, 'queue-leave');
    this.callbackOpen = byTestId(doc, 'queue-callback-open');
    this.slotsMessage = byTestId(doc, 'queue-slots-message');
    this.slotDays = byId(doc, 'queue-slot-days');
    this.bookedTime = byTestId(doc, 'queue-callback-time');
    this.bookedNote = byId(doc, 'queue-callback-note');
    this.leave.addEventListener('click', () => handlers.onLeave());
    this.callbackOpen.addEventListener('click', () => handlers.onOpenCallback());
    byTestId(doc, 'queue-callback-back').addEventListener('click', () => handlers.onBackToQueue());
  }

  render(model: QueueViewModel): void {
    const panel = model.panel;
    this.panel.hidden = panel === null;
    if (panel) {
      this.position.textContent = panel.position;
      this.position.dataset.position = panel.positionNumber === null ? '' : String(panel.positionNumber);
      this.panel.dataset.connecting = String(panel.connecting);
      this.wait.hidden = panel.wait === null;
      this.wait.textContent = panel.wait ?? '';
      this.note.hidden = panel.note === null;
      this.note.textContent = panel.note ?? '';
      this.leave.disabled = !panel.canLeave;
      this.callbackOpen.disabled = !panel.canBook;
    }

    const slots = model.slots;
    if (slots) {
      this.slotsMessage.hidden = slots.message === null;
      this.slotsMessage.textContent = slots.message ?? '';
      this.renderSlots(slots);
    }

    if (model.booked) {
      this.bookedTime.textContent = model.booked.slot;
      this.bookedTime.dataset.slotStart = model.bookedSlotStart === null ? '' : String(model.bookedSlotStart);
      this.bookedNote.textContent = model.booked.note;
    }
  }

  private renderSlots(slots: SlotsModel): void {
    const key = JSON.stringify([slots.days, slots.busy]);
    if (key === this.renderedSlots) return;
    this.renderedSlots = key;
    const children: HTMLElement[] = [];
    for (const day of slots.days) {
      const heading = this.doc.createElement('h3');
      heading.textContent = day.day;
      const list = this.doc.createElement('ul');
      list.className = 'slot-list';
      for (const slot of day.slots) {
        const item = this.doc.createElement('li');
        const button = this.doc.createElement('button');
        button.type = 'button';
        button.className = 'slot';
        button.dataset.testid = 'queue-slot';
        button.dataset.slotStart = String(slot.slotStart);
        button.disabled = slots.busy;
        // the day is in the heading: the label says it again for screen readers that jump between buttons
        button.setAttribute('aria-label', `${day.day} ${slot.label} ${slot.free}`);
        button.textContent = slot.label;
        const free = this.doc.createElement('small');
        free.textContent = slot.free;
        button.append(free);
        button.addEventListener('click', () => this.handlers.onBook(slot.slotStart));
        item.append(button);
        list.append(item);
      }
      children.push(heading, list);
    }
    this.slotDays.replaceChildren(...children);
  }
}
