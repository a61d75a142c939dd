import { CheckCircleFilled, CopyOutlined, DownloadOutlined, FileTextOutlined, KeyOutlined, StepForwardOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Descriptions, Input, Row, Space, Spin, Tag, Typography, theme } from 'antd';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Activation } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { apiErrorData } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { copyText, saveFile } from '../shell/files';
import { QrImage, useQrSvgs } from './qr';

const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** The code of a request file ("EDGEFORGE-REQUEST <code>"), or the text itself when it is a bare code. */
function requestFromFile(text: string): string {
  const line = /EDGEFORGE-REQUEST\s+([0-9A-Za-z-]+)/.exec(text);
  return line ? line[1]! : text.trim();
}

/**
 * A code in its groups, large, wrapping only between groups, each numbered
 * beneath so that "group 7 is mistyped" on the box is found at a glance.
 */
export function CodeGroups({ code, fontSize = 28, testId }: { code: string; fontSize?: number; testId?: string }) {
  const { token } = theme.useToken();
  const groups = code.split('-');
  return (
    <div
      data-testid={testId}
      data-code={code}
      aria-label={code}
      style={{ display: 'flex', flexWrap: 'wrap', gap: '6px 16px', fontFamily: MONO, fontSize, lineHeight: 1.15, letterSpacing: '0.04em' }}
    >
      {groups.map((g, i) => (
        <span key={i} style={{ display: 'inline-flex', flexDirection: 'column', alignItems: 'center' }}>
          <span style={{ fontWeight: 600 }}>{g}</span>
          <span aria-hidden style={{ fontSize: 10, color: token.colorTextTertiary, userSelect: 'none', letterSpacing: 0 }}>
            {i + 1}
          </span>
        </span>
      ))}
    </div>
  );
}

function ActivationResult({ result, onNext }: { result: Activation; onNext: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { token } = theme.useToken();
  const svgs = useQrSvgs([result.code]);
  return (
    <Card
      size="small"
      data-testid="activation-result"
      title={
        <Space size="middle" wrap>
          <CheckCircleFilled style={{ color: token.colorSuccess }} />
          <span>{t('activate.resultTitle')}</span>
        </Space>
      }
    >
      <Row gutter={[24, 16]}>
        <Col flex="1 1 520px">
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Space size="middle" wrap align="center">
              <Typography.Title level={2} style={{ margin: 0, fontFamily: MONO }} data-testid="result-serial">
                {result.serial}
              </Typography.Title>
              <Tag color="blue" data-testid="result-seat">
                {t('activate.seat', { seat: result.seat })}
              </Tag>
              {result.reactivation && (
                <Tag color="cyan" data-testid="result-reactivation">
                  {t('activate.reactivation')}
                </Tag>
              )}
              {result.cloneOf !== null && (
                <Tag color="orange" data-testid="result-clone">
                  {t('activate.clone', { seat: result.cloneOf })}
                </Tag>
              )}
            </Space>
            <Typography.Text type="secondary">{t('activate.resultMeta', { batch: result.batchId, fingerprint: result.fingerprintId })}</Typography.Text>
            <div>
              <Typography.Text strong>{t('activate.replyCode')}</Typography.Text>
              <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
                {t('activate.replyHelp')}
              </Typography.Paragraph>
              <CodeGroups code={result.code} testId="reply-code" />
            </div>
            <Space wrap>
              <Button
                icon={<CopyOutlined />}
                onClick={() =>
                  copyText(result.code).then(
                    () => void message.success(t('common.copied')),
                    () => void message.error(t('common.copyFailed')),
                  )
                }
                data-testid="reply-copy"
              >
                {t('activate.copyCode')}
              </Button>
              <Button icon={<DownloadOutlined />} onClick={() => saveFile(result.fileName, result.file)} data-testid="reply-download">
                {t('activate.downloadReply')}
              </Button>
              <Button type="primary" icon={<StepForwardOutlined />} onClick={onNext} data-testid="activate-next">
                {t('activate.next')}
              </Button>
            </Space>
          </Space>
        </Col>
        <Col flex="0 0 auto">
          <Space direction="vertical" align="center" size={4}>
            <div style={{ padding: 8, background: '#fff', borderRadius: 8, border: `1px solid ${token.colorBorderSecondary}` }}>
              <QrImage svg={svgs?.[0] ?? null} size={240} label={t('activate.qrLabel')} testId="reply-qr" />
            </div>
            <Typography.Text type="secondary" style={{ fontSize: 12, maxWidth: 256, textAlign: 'center' }}>
              {t('activate.qrHelp')}
            </Typography.Text>
          </Space>
        </Col>
      </Row>
    </Card>
  );
}

/** Activate a box: its request code in (typed, pasted, scanned or from its file), the reply code out. */
export function ActivateBox({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { modal } = App.useApp();
  const queryClient = useQueryClient();
  const input = useRef<TextAreaRef>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState<Activation | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [fileUnreadable, setFileUnreadable] = useState(false);
  const request = text.trim();
  const debounced = useDebounced(request, 250);
  const inspect = useQuery({
    ...orpc.activation.inspect.queryOptions({ input: { request: debounced } }),
    enabled: debounced.length > 0,
    retry: false,
    staleTime: 60_000,
  });
  const checked = debounced === request && request.length > 0;

  const focusInput = () => input.current?.focus();
  useEffect(() => {
    if (active) input.current?.focus();
  }, [active]);

  const activate = useMutation({
    mutationFn: (v: { request: string; allowClone: boolean }) => client.activation.activate(v),
    onSuccess: (r) => {
      setResult(r);
      setProblem(null);
      void queryClient.invalidateQueries({ queryKey: orpc.activation.key() });
      // The next scan replaces this code rather than adding to it.
      requestAnimationFrame(() => input.current?.resizableTextArea?.textArea.select());
    },
    onError: (e, v) => {
      setResult(null);
      const d = apiErrorData(e);
      if (d?.code === 'LEDGER_CLONE_SUSPECTED' && !v.allowClone) {
        // The operator decides; refused, the message stays on the page.
        modal.confirm({
          title: t('activate.cloneTitle'),
          content: d.message[lang],
          width: 560,
          okText: t('activate.cloneOk'),
          okButtonProps: { danger: true, 'data-testid': 'clone-confirm' } as never,
          cancelText: t('activate.cloneCancel'),
          cancelButtonProps: { 'data-testid': 'clone-refuse' } as never,
          onOk: () => activate.mutate({ request: v.request, allowClone: true }),
          onCancel: () => setProblem(e),
          afterClose: focusInput,
        });
      } else setProblem(e);
    },
  });

  const run = () => {
    if (!request || activate.isPending) return;
    setProblem(null);
    activate.mutate({ request, allowClone: false });
  };
  const clear = () => {
    setText('');
    setResult(null);
    setProblem(null);
    setFileUnreadable(false);
    focusInput();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Scanners type the code and press Enter; Shift+Enter still breaks a pasted file's lines.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      run();
    }
  };
  const openFile = (file: File | undefined) => {
    if (!file) return;
    file.text().then(
      (content) => {
        setText(requestFromFile(content));
        setResult(null);
        setProblem(null);
        setFileUnreadable(false);
        focusInput();
      },
      () => setFileUnreadable(true),
    );
  };

  const info = checked && inspect.data ? inspect.data : null;
  const infoError = checked && inspect.error ? inspect.error : null;

  return (
    <div
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          clear();
        }
      }}
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small" title={t('activate.requestTitle')}>
          <Typography.Paragraph type="secondary">{t('activate.requestHelp')}</Typography.Paragraph>
          <Input.TextArea
            ref={input}
            autoFocus
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            autoSize={{ minRows: 2, maxRows: 5 }}
            spellCheck={false}
            autoComplete="off"
            autoCapitalize="characters"
            aria-label={t('activate.requestTitle')}
            placeholder={t('activate.requestPlaceholder')}
            // Shown as the box prints it; the station reads either case.
            style={{ fontFamily: MONO, fontSize: 22, letterSpacing: '0.04em', textTransform: 'uppercase' }}
            data-testid="request-input"
          />
          <Space style={{ marginTop: 12, width: '100%', justifyContent: 'space-between' }} wrap>
            <Space wrap>
              <Button type="primary" size="large" icon={<KeyOutlined />} onClick={run} disabled={!request} loading={activate.isPending} data-testid="activate">
                {t('activate.activate')}
              </Button>
              <Button size="large" icon={<FileTextOutlined />} onClick={() => fileInput.current?.click()} data-testid="request-open-file">
                {t('activate.openFile')}
              </Button>
              <input
                ref={fileInput}
                type="file"
                accept=".txt,.req,text/plain"
                hidden
                onChange={(e) => {
                  openFile(e.target.files?.[0]);
                  e.target.value = '';
                }}
                data-testid="request-file"
              />
              <Button size="large" onClick={clear} disabled={!text && !result && !problem}>
                {t('activate.clear')}
              </Button>
            </Space>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('activate.keys')}
            </Typography.Text>
          </Space>

          <div style={{ marginTop: 16, minHeight: 40 }} aria-live="polite">
            {request && !checked && <Spin size="small" />}
            {checked && inspect.isFetching && !info && !infoError && <Spin size="small" />}
            {infoError && !problem ? <ProblemAlert error={infoError} testId="request-problem" /> : null}
            {info && (
              <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 4 }} data-testid="request-info">
                <Descriptions.Item label={t('activate.batch')}>
                  <Space wrap size={4}>
                    <Typography.Text code>{info.batchId}</Typography.Text>
                    {info.batchLabel !== null ? (
                      <Tag color="green" data-testid="request-batch-known">
                        {info.batchLabel}
                      </Tag>
                    ) : (
                      <Tag color="orange" data-testid="request-batch-unknown">
                        {t('activate.batchUnknown')}
                      </Tag>
                    )}
                  </Space>
                </Descriptions.Item>
                <Descriptions.Item label={t('activate.components')}>{info.components}</Descriptions.Item>
                <Descriptions.Item label={t('activate.fingerprintId')}>
                  <Typography.Text code data-testid="request-fingerprint">
                    {info.fingerprintId}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('activate.machineId')}>
                  {info.machineId ? t('activate.machineIdSent') : t('activate.machineIdNone')}
                </Descriptions.Item>
              </Descriptions>
            )}
            {info && info.batchLabel === null && (
              <Alert type="warning" showIcon style={{ marginTop: 8 }} title={t('activate.batchUnknownHelp')} data-testid="request-unknown-help" />
            )}
          </div>
        </Card>

        {fileUnreadable && <Alert type="error" showIcon title={t('activate.fileUnreadable')} />}
        {problem ? <ProblemAlert error={problem} testId="activate-problem" /> : null}
        {result && <ActivationResult result={result} onNext={clear} />}
      </Space>
    </div>
  );
}
