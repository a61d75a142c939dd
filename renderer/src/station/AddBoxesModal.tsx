import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Col, Modal, Row, Space, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlashBox, FlashRun } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { BoxSources } from './BoxSources';
import { CredentialsBlock } from './Credentials';
import { buildBoxes, showBoxIssues, useBoxDraft, type DraftRow, type FlashBoxInput } from './draft';
import { useCloseGuard } from './NewRunModal';

/** More boxes for a run that is under way: the same three ways and one credentials block. */
export function AddBoxesModal({ run, boxes, onClose }: { run: FlashRun; boxes: FlashBox[]; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const draft = useBoxDraft();
  const [problem, setProblem] = useState<unknown>(null);
  const [localProblem, setLocalProblem] = useState<string | null>(null);
  const close = useCloseGuard(draft, onClose);
  const existing = useMemo(
    () =>
      new Set(
        boxes
          .flatMap((b) => [b.labelSerial, b.serial])
          .filter((s): s is string => Boolean(s))
          .map((s) => s.toUpperCase()),
      ),
    [boxes],
  );
  const add = useMutation({
    mutationFn: (v: { boxes: FlashBoxInput[]; sent: DraftRow[] }) => client.flash.addBoxes({ runId: run.id, boxes: v.boxes }),
    onSuccess: (added) => {
      void message.success(t('station.addBoxes.done', { count: added.length }));
      void queryClient.invalidateQueries({ queryKey: orpc.flash.run.queryKey({ input: { id: run.id } }) });
      void queryClient.invalidateQueries({ queryKey: orpc.flash.runs.key() });
      onClose();
    },
    onError: (e, v) => {
      if (!showBoxIssues(e, lang, draft, v.sent)) setProblem(e);
    },
  });
  const submit = () => {
    setProblem(null);
    setLocalProblem(null);
    draft.setRowErrors({});
    if (draft.rows.length === 0) return setLocalProblem(t('station.addBoxes.none'));
    const built = buildBoxes(draft, t);
    if (!built.ok) {
      draft.setRowErrors(built.rowErrors);
      return setLocalProblem(built.problem ?? t('station.add.fixRows'));
    }
    add.mutate({ boxes: built.boxes, sent: draft.rows });
  };
  return (
    <Modal
      open
      width="min(1200px, 96vw)"
      title={t('station.addBoxes.title', { combo: run.comboName })}
      onCancel={close}
      mask={{ closable: false }}
      data-testid="add-boxes-modal"
      styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflowY: 'auto', overflowX: 'hidden' } }}
      footer={
        <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start', justifyContent: 'flex-end' }}>
          <div style={{ flex: 1, textAlign: 'left', maxHeight: 120, overflowY: 'auto' }}>
            {localProblem && <Alert type="error" showIcon title={localProblem} data-testid="add-local-error" />}
            {problem ? <ProblemAlert error={problem} testId="add-error" /> : null}
          </div>
          <Space>
            <Button onClick={close}>{t('common.cancel')}</Button>
            <Button type="primary" onClick={submit} loading={add.isPending} data-testid="add-boxes-submit">
              {t('station.addBoxes.submit', { count: draft.rows.length })}
            </Button>
          </Space>
        </div>
      }
    >
      <Row gutter={[32, 16]}>
        <Col xs={24} lg={9}>
          <Typography.Title level={5} style={{ marginTop: 0 }}>
            {t('station.cred.title')}
          </Typography.Title>
          <CredentialsBlock draft={draft} />
        </Col>
        <Col xs={24} lg={15}>
          <BoxSources draft={draft} existingSerials={existing} />
        </Col>
      </Row>
    </Modal>
  );
}
