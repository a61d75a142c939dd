import { DownloadOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Input, Modal, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CatalogExportInput } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';

/** Saves a catalog document (everything, or the chosen definitions) as a JSON download. */
export function useCatalogExport() {
  const { client } = useApi();
  const { lang } = usePreferences();
  const { t } = useTranslation();
  const { message } = App.useApp();
  return async (input: CatalogExportInput, fileStem: string) => {
    try {
      const doc = await client.catalog.export(input);
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${fileStem}-${new Date().toISOString().slice(0, 10)}.catalog.json`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      void message.error(errorText(e, lang, t('errors.generic')));
    }
  };
}

function ImportModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const run = useMutation(
    orpc.catalog.import.mutationOptions({
      onSuccess: (r) => {
        const list = (x: string[]) => x.join(', ') || '—';
        void message.success(
          t('catalog.document.done', {
            created: list([...r.created.models, ...r.created.apps, ...r.created.combos]),
            skipped: list([...r.skipped.models, ...r.skipped.apps, ...r.skipped.combos]),
          }),
        );
        for (const key of [orpc.models.key(), orpc.apps.key(), orpc.combos.key()]) void queryClient.invalidateQueries({ queryKey: key });
        onClose();
      },
      onError: (e) => setProblem(errorText(e, lang, t('errors.generic'))),
    }),
  );
  const submit = () => {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      setProblem(t('catalog.document.badJson'));
      return;
    }
    setProblem(null);
    run.mutate({ document });
  };
  const readFile = (file: File | undefined) => {
    if (!file) return;
    file.text().then(setText, () => setProblem(t('catalog.document.unreadable')));
  };
  return (
    <Modal
      open
      width={720}
      title={t('catalog.document.import')}
      onCancel={onClose}
      onOk={submit}
      okButtonProps={{ disabled: !text.trim(), 'data-testid': 'catalog-import-ok' } as never}
      confirmLoading={run.isPending}
      okText={t('catalog.document.importOk')}
      cancelText={t('common.cancel')}
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">{t('catalog.document.importHelp')}</Typography.Text>
        <input type="file" accept=".json,application/json" onChange={(e) => readFile(e.target.files?.[0])} data-testid="catalog-import-file" />
        <Input.TextArea
          rows={12}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('catalog.document.placeholder')}
          data-testid="catalog-import-text"
        />
        {problem && <Alert type="error" showIcon title={problem} data-testid="catalog-import-error" />}
      </Space>
    </Modal>
  );
}

/** Import a catalog document, or export the whole catalog: beside the catalog's tabs. */
export function DocumentActions() {
  const { t } = useTranslation();
  const [importing, setImporting] = useState(false);
  const exportCatalog = useCatalogExport();
  return (
    <Space>
      <Button icon={<UploadOutlined />} onClick={() => setImporting(true)} data-testid="catalog-import">
        {t('catalog.document.import')}
      </Button>
      <Button icon={<DownloadOutlined />} onClick={() => void exportCatalog({}, 'edgeforge-catalog')} data-testid="catalog-export">
        {t('catalog.document.exportAll')}
      </Button>
      {importing && <ImportModal onClose={() => setImporting(false)} />}
    </Space>
  );
}
