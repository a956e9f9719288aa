//! The portal's two languages. Japanese is the default (the users are
//! Japanese hospitals, centres and researchers); English is one click away.
//! One table holds every text in both languages, so a missing translation is
//! a failing test, not a blank on screen.

/// Japanese or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Ja,
    En,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "ja" => Some(Self::Ja),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// Translator for one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tr(pub Lang);

impl Tr {
    /// Whether the language is Japanese.
    pub(crate) fn is_ja(&self) -> bool {
        self.0 == Lang::Ja
    }

    /// The text for `key`; the key itself if there is none (and a test fails).
    pub(crate) fn t<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, ja)) => match self.0 {
                Lang::En => en,
                Lang::Ja => ja,
            },
            None => key,
        }
    }

    /// The label of a coded value (`cancer`, `withdrawn`, `tumour_tissue`…).
    pub(crate) fn code<'a>(&self, value: &'a str) -> &'a str {
        self.t(value)
    }

    /// The label of a role name.
    pub(crate) fn role<'a>(&self, role: &'a str) -> &'a str {
        self.t(role)
    }
}

/// (key, English, Japanese).
pub(crate) const TEXTS: &[(&str, &str, &str)] = &[
    (
        "brand_sub",
        "National Whole-Genome Programme",
        "全ゲノム解析等実行計画",
    ),
    ("nav_public", "Progress", "進捗"),
    ("nav_portal", "Portal", "ポータル"),
    ("nav_participants", "Participants", "参加者"),
    ("logout", "Log out", "ログアウト"),
    ("login", "Log in", "ログイン"),
    (
        "footer",
        "Zenome — data platform of the national whole-genome programme for cancer and rare disease.",
        "Zenome — がん・難病の全ゲノム解析等実行計画のデータ基盤",
    ),
    ("public_title", "Programme progress", "事業の進捗"),
    (
        "public_lead",
        "Counts of participants, specimens and sequencing, updated live. No individual data is shown.",
        "参加者・検体・シーケンスの件数（リアルタイム）。個人単位のデータは表示しません。",
    ),
    ("participants", "Participants", "参加者"),
    ("area_cancer", "Cancer", "がん"),
    ("area_rare_disease", "Rare disease", "難病"),
    ("specimens", "Specimens", "検体"),
    ("runs", "Sequencing runs", "シーケンスラン"),
    ("consent_withdrawn", "Consents withdrawn", "同意撤回"),
    (
        "chart_by_facility",
        "Participants by facility and disease area",
        "医療機関別・疾患領域別の参加者数",
    ),
    (
        "chart_by_facility_caption",
        "Bars are stacked: cancer, then rare disease.",
        "棒グラフは積み上げ（がん、難病の順）。",
    ),
    ("facility", "Facility", "医療機関"),
    (
        "chart_consent",
        "Participants by consent state",
        "同意状況別の参加者数",
    ),
    ("username", "User name", "ユーザー名"),
    ("password", "Password", "パスワード"),
    (
        "totp",
        "One-time code (6 digits)",
        "ワンタイムコード（6桁）",
    ),
    (
        "totp_hint",
        "From your authenticator app. Both factors are required.",
        "認証アプリに表示される番号です。二要素とも必要です。",
    ),
    (
        "login_failed",
        "Login failed. Check your user name, password and one-time code.",
        "ログインできませんでした。ユーザー名・パスワード・ワンタイムコードを確認してください。",
    ),
    (
        "rate_limited",
        "Too many attempts. Please wait and try again.",
        "試行回数が多すぎます。しばらく待ってから再試行してください。",
    ),
    ("welcome", "Welcome", "ようこそ"),
    ("audit", "Audit trail", "監査ログ"),
    (
        "tile_participants",
        "Register participants, record consent, register specimens and their lineage.",
        "参加者の登録、同意の記録、検体と由来の登録。",
    ),
    (
        "tile_audit",
        "Every change, hash-chained.",
        "全ての変更（ハッシュチェーン）。",
    ),
    (
        "tile_bulk",
        "Upload clinical records in bulk from a CSV or JSON file, with templates.",
        "CSVまたはJSONファイルで臨床情報を一括登録（テンプレートあり）。",
    ),
    (
        "tile_qc",
        "Quality of each sequencing centre's files: yield, Q30, failures.",
        "シーケンス施設ごとのファイル品質：収量、Q30、不合格。",
    ),
    (
        "tile_dictionary",
        "The clinical data dictionary: what to enter and its codes.",
        "臨床情報データ辞書：入力項目とコード。",
    ),
    (
        "tile_public",
        "The programme's progress, as the public sees it.",
        "一般公開している事業の進捗。",
    ),
    (
        "tile_api",
        "The JSON API for machines and scripts.",
        "機械・スクリプト向け JSON API。",
    ),
    (
        "register_participant",
        "Register a participant",
        "参加者を登録",
    ),
    ("disease_area", "Disease area", "疾患領域"),
    ("sex", "Sex", "性別"),
    ("sex_unknown", "Unknown", "不明"),
    ("sex_female", "Female", "女性"),
    ("sex_male", "Male", "男性"),
    ("sex_other", "Other", "その他"),
    (
        "participant_id_optional",
        "Participant id (leave empty to draw one)",
        "参加者ID（空欄なら自動採番）",
    ),
    ("register", "Register", "登録"),
    ("showing", "Showing", "表示"),
    ("participant_id", "Participant id", "参加者ID"),
    ("consent", "Consent", "同意"),
    ("registered", "Registered", "登録日時"),
    ("previous", "Previous", "前へ"),
    ("next", "Next", "次へ"),
    ("participant", "Participant", "参加者"),
    ("lineage_view", "Specimen lineage", "検体系譜"),
    ("form_version", "Form", "様式"),
    ("source", "Source", "取得元"),
    ("item_research_scope", "Scope of research", "研究目的の範囲"),
    ("research_scope", "Scope of research", "研究目的の範囲"),
    (
        "controlled_sharing",
        "Sharing with approved researchers (controlled access)",
        "審査を経た研究者への提供（制限公開）",
    ),
    (
        "industrial_use",
        "Use by industry, incl. drug development",
        "企業による利用（創薬を含む）",
    ),
    (
        "data_linkage",
        "Additional information collection and data linkage",
        "追加の情報収集とデータ連結",
    ),
    (
        "international_sharing",
        "Use by approved researchers abroad",
        "海外の研究者による利用",
    ),
    ("recontact", "May be recontacted", "再連絡の可否"),
    (
        "primary_findings",
        "Wishes to receive primary findings",
        "一次的所見の返却を希望",
    ),
    (
        "secondary_findings",
        "Wishes to receive secondary findings",
        "二次的所見の返却を希望",
    ),
    ("yes", "Yes", "はい"),
    ("no", "No", "いいえ"),
    (
        "duo_codes",
        "Data use (GA4GH DUO)",
        "データ利用条件（GA4GH DUO）",
    ),
    ("geography", "limited to", "利用地域"),
    (
        "legacy_gaps",
        "Items the older form did not cover (set to the most restrictive value):",
        "旧様式に対応項目がない項目（最も制限的な値を設定）：",
    ),
    (
        "consent_history",
        "Consent history (append-only)",
        "同意の履歴（追記のみ）",
    ),
    ("event", "Event", "事象"),
    ("effective_at", "Takes effect", "効力発生"),
    ("recorded_at", "Recorded", "記録日時"),
    ("note", "Note", "備考"),
    ("amend_consent", "Amend consent", "同意内容の変更"),
    (
        "give_consent",
        "Record consent (unified form)",
        "同意の記録（統一様式）",
    ),
    (
        "disease_mondo",
        "Disease (MONDO id, for disease-specific scope)",
        "疾患（MONDO ID、疾患限定の場合）",
    ),
    ("save", "Save", "保存"),
    ("withdraw_consent", "Withdraw consent", "同意撤回"),
    (
        "withdraw_explain",
        "From the moment it takes effect, the participant leaves every query, export and new grant. Records that law requires are kept, not used.",
        "効力発生の時点から、全ての検索・出力・新規の利用承認から除外されます。法令で保存が必要な記録は保持されますが利用されません。",
    ),
    ("reason", "Reason", "理由"),
    (
        "withdraw_confirm",
        "I confirm the participant withdrew consent",
        "参加者が同意を撤回したことを確認しました",
    ),
    (
        "lineage_lead",
        "Each specimen and everything derived from it: aliquots, extracts, libraries, sequencing runs and files.",
        "各検体とそこから派生した分注・抽出物・ライブラリ・シーケンスラン・ファイル。",
    ),
    (
        "no_specimens",
        "No specimens registered yet.",
        "検体はまだ登録されていません。",
    ),
    ("set_status", "Set", "設定"),
    ("register_specimen", "Register a specimen", "検体を登録"),
    ("specimen_type", "Specimen type", "検体種別"),
    ("collected_on", "Collected on", "採取日"),
    ("anatomical_site", "Anatomical site", "採取部位"),
    ("volume_ul", "Volume (µL)", "容量（µL）"),
    ("analyte", "Analyte", "核酸"),
    ("yield_ng", "Yield (ng)", "収量（ng）"),
    ("strategy", "Strategy", "解析手法"),
    ("kit", "Kit", "キット"),
    ("centre", "Sequencing centre", "シーケンス施設"),
    (
        "sent_to_centre",
        "Sent to sequencing centre (code)",
        "送付先シーケンス施設（コード）",
    ),
    ("run_id", "Run id", "ランID"),
    ("instrument", "Instrument", "装置"),
    ("run_date", "Run date", "ラン日"),
    ("format", "Format", "形式"),
    (
        "barcode_optional",
        "Barcode (leave empty to issue one)",
        "バーコード（空欄なら発番）",
    ),
    ("barcode_placeholder", "e.g. SP0000123X", "例: SP0000123X"),
    (
        "vcf_members",
        "Other samples of a joint-called VCF (library barcodes or CRAM/BAM node ids, comma-separated)",
        "共同コールVCFの他の検体（ライブラリのバーコードまたはCRAM/BAMのノードID、カンマ区切り）",
    ),
    (
        "audit_lead",
        "The newest entries. Chain check:",
        "最新の記録。チェーン検証：",
    ),
    ("when", "When", "日時"),
    ("who", "Who", "実行者"),
    ("action", "Action", "操作"),
    ("target", "Target", "対象"),
    ("ok_registered", "Registered.", "登録しました。"),
    ("ok_consent", "Consent recorded.", "同意を記録しました。"),
    ("ok_status", "Status changed.", "状態を変更しました。"),
    (
        "error_input",
        "Please correct:",
        "入力内容を確認してください：",
    ),
    ("error_conflict", "Not possible:", "実行できません："),
    (
        "error_forbidden",
        "You are not allowed to do this.",
        "この操作の権限がありません。",
    ),
    ("error_not_found", "Not found.", "見つかりません。"),
    (
        "error_internal",
        "An internal error occurred; it has been logged.",
        "内部エラーが発生しました（記録済み）。",
    ),
    (
        "error_csrf",
        "The form expired. Please try again.",
        "フォームの有効期限が切れました。もう一度お試しください。",
    ),
    ("chain_ok", "intact", "正常"),
    ("chain_broken", "BROKEN", "破損"),
    ("audit_entries", "entries", "件の記録"),
    ("audit_anchors", "anchors checked", "件のアンカーを照合"),
    ("audit_unanchored", "not yet anchored", "件が未アンカー"),
    // secondary use
    ("acknowledge", "Acknowledge", "確認済みにする"),
    ("add", "Add", "追加"),
    (
        "add_members",
        "Add participants to a dataset",
        "データセットに参加者を追加",
    ),
    (
        "alerts_lead",
        "Raised in real time by the detection rules: bulk downloads, access outside a grant, repeated failed logins, unusual hours, tokens used from new addresses.",
        "検知ルールによりリアルタイムに発報：大量取得、承認範囲外のアクセス、ログイン失敗の繰り返し、深夜のアクセス、新しいアドレスからのトークン利用。",
    ),
    ("applicant", "Applicant", "申請者"),
    ("approve", "Approve", "承認"),
    (
        "approve_with_conditions",
        "Approve with conditions",
        "条件付き承認",
    ),
    ("reject", "Reject", "不承認"),
    (
        "approved_projects",
        "Approved projects",
        "承認された研究課題",
    ),
    (
        "before_submitting",
        "Before submitting:",
        "提出前に対応が必要です：",
    ),
    ("cases", "cases", "症例"),
    (
        "co_applicants",
        "Co-applicants (user names)",
        "共同申請者（ユーザー名）",
    ),
    ("comment", "Comment", "コメント"),
    (
        "commercial",
        "Results used commercially",
        "成果の商業利用あり",
    ),
    ("compatible", "Compatible", "同意に適合"),
    ("conditions", "Conditions", "承認条件"),
    ("consent_requirement", "Consent requirement", "同意要件"),
    (
        "country",
        "Country of use (ISO code)",
        "利用国（ISOコード）",
    ),
    ("create", "Create", "作成"),
    ("create_dataset", "Create a dataset", "データセットを作成"),
    ("dac_queue", "Applications for review", "審査対象の申請"),
    ("data_types", "Data types", "データ種別"),
    (
        "data_use",
        "Use of this participant's data",
        "この参加者のデータの利用状況",
    ),
    (
        "data_use_lead",
        "Approved projects whose grants included this participant's data, to show the participant on request.",
        "この参加者のデータを含む利用承認を受けた研究課題（本人の求めに応じて提示）。",
    ),
    ("datasets", "Datasets", "データセット"),
    (
        "datasets_lead",
        "Membership is computed from consent at the moment of asking: a participant whose consent no longer fits drops out.",
        "所属は照会の時点の同意から算出されます。同意が適合しなくなった参加者は除外されます。",
    ),
    ("decide", "Review decision", "審査判断"),
    ("decision", "Decision", "判断"),
    ("description", "Description", "説明"),
    ("edit", "Edit", "編集"),
    ("eligible", "Eligible now", "現在適格"),
    (
        "embargo_until",
        "Embargo until (group-restricted until then)",
        "エンバーゴ期限（それまでは研究グループ内限定）",
    ),
    ("end", "Last day of access", "利用終了日"),
    ("start", "First day of access", "利用開始日"),
    (
        "ethics_approval",
        "Approved by an ethics committee",
        "倫理審査委員会の承認あり",
    ),
    ("ethics_reference", "Approval number", "承認番号"),
    ("excluded", "Excluded", "除外"),
    (
        "fastq_need",
        "Why FASTQ is needed (only on need)",
        "FASTQが必要な理由（必要時のみ）",
    ),
    ("fee", "Fee (JPY)", "利用料（円）"),
    ("grant", "Grant", "利用承認"),
    (
        "grant_data_lead",
        "Participants whose consent allows the grant's purpose at this moment. This read is logged under",
        "現時点の同意が利用目的に適合する参加者。この閲覧は次の承認のもとで記録されます：",
    ),
    ("grantees", "Grantees", "利用者"),
    ("institution", "Institution", "所属機関"),
    ("members", "Participants", "参加者数"),
    ("nav_alerts", "Alerts", "アラート"),
    ("nav_applications", "Applications", "利用申請"),
    ("nav_datasets", "Datasets", "データセット"),
    ("nav_grants", "Grants", "利用承認"),
    (
        "new_application",
        "New application (one-stop)",
        "新規利用申請（ワンストップ）",
    ),
    ("none_yet", "None yet.", "まだありません。"),
    ("open_data", "Open", "データを開く"),
    (
        "participant_ids",
        "Participant ids (one per line)",
        "参加者ID（1行に1件）",
    ),
    (
        "passport_lead",
        "Outside services accept a GA4GH Passport with your visas:",
        "外部サービスにはGA4GHパスポート（ビザ）を提示できます：",
    ),
    ("period", "Period", "期間"),
    (
        "preview",
        "Who the purpose reaches",
        "利用目的に適合する参加者",
    ),
    (
        "preview_lead",
        "Each participant's consent is matched against the purpose now (GA4GH DUO). The fee follows the number of cases.",
        "各参加者の同意を現時点で利用目的と照合しています（GA4GH DUO）。利用料は症例数に応じます。",
    ),
    (
        "producer_group",
        "Producing research group (user names)",
        "作成した研究グループ（ユーザー名）",
    ),
    ("project_title", "Project", "研究課題"),
    ("purpose", "Purpose", "利用目的"),
    ("purpose_description", "Research plan", "研究計画"),
    ("record_vote", "Record", "記録"),
    ("referred", "Referred to the DAC", "委員会判断"),
    ("release_state", "Release", "公開状態"),
    ("request_changes", "Request changes", "修正を依頼"),
    ("review", "Review", "審査の経過"),
    ("revoke", "Revoke", "取消"),
    ("revoked", "Revoked", "取消"),
    ("rule", "Rule", "ルール"),
    ("save_draft", "Save draft", "下書き保存"),
    ("sector", "Sector", "区分"),
    ("security_level", "Security level", "セキュリティレベル"),
    ("send", "Send", "送信"),
    ("submit_to_dac", "Submit to the DAC", "委員会に提出"),
    ("summary", "Summary", "概要"),
    (
        "tile_alerts",
        "Security alerts, live.",
        "セキュリティアラート（リアルタイム）。",
    ),
    (
        "tile_applications",
        "Apply for data, or review applications.",
        "データの利用申請、または申請の審査。",
    ),
    (
        "tile_datasets",
        "What can be applied for, and who is in it now.",
        "申請できるデータセットと、現在の対象者。",
    ),
    (
        "tile_grants",
        "Grants and the data they open.",
        "利用承認と、利用できるデータ。",
    ),
    ("title", "Title", "名称"),
    ("total", "Total", "合計"),
    ("updated", "Updated", "更新"),
    ("what_to_change", "What must change", "修正すべき点"),
    (
        "withdraw_application",
        "Withdraw the application",
        "申請を取り下げる",
    ),
    ("without_consent", "Without consent", "同意なし"),
    ("status", "Status", "状態"),
    ("academic", "Academic", "アカデミア"),
    ("industry", "Industry", "企業"),
    ("draft", "Draft", "下書き"),
    ("submitted", "Submitted", "提出済"),
    ("under_review", "Under review", "審査中"),
    ("changes_requested", "Changes requested", "修正依頼"),
    ("approved", "Approved", "承認"),
    ("rejected", "Rejected", "不承認"),
    ("assigned", "Assigned", "担当割当"),
    ("edited", "Edited", "編集"),
    ("vote", "Vote", "投票"),
    ("decided", "Decided", "決定"),
    ("expired", "Expired", "期限切れ"),
    ("not_started", "Not started", "開始前"),
    ("group_restricted", "Group-restricted", "グループ内限定"),
    ("controlled_access", "Controlled access", "制限公開"),
    ("disease", "Disease-specific", "疾患限定"),
    ("ancestry", "Ancestry", "祖先・集団"),
    ("methods", "Methods development", "手法開発"),
    ("clinical", "Clinical", "臨床情報"),
    ("application", "Application fee", "申請料"),
    ("bulk_download", "Bulk download", "大量取得"),
    (
        "access_outside_grant",
        "Access outside a grant",
        "承認範囲外アクセス",
    ),
    (
        "repeated_login_failures",
        "Repeated failed logins",
        "ログイン失敗の繰り返し",
    ),
    (
        "repeated_second_factor_failures",
        "Repeated second-factor failures",
        "二要素認証失敗の繰り返し",
    ),
    ("unusual_hours", "Unusual hours", "通常外の時間帯"),
    (
        "token_new_address",
        "Token from a new address",
        "新しいアドレスからのトークン利用",
    ),
    ("warning", "Warning", "警告"),
    ("critical", "Critical", "重大"),
    ("affiliation", "Institution", "所属機関"),
    ("purpose.description", "Research plan", "研究計画"),
    ("purpose.scope", "Purpose", "利用目的"),
    ("purpose.disease", "Disease", "疾患"),
    ("purpose.country", "Country of use", "利用国"),
    ("nav_qc", "Sequencing QC", "シーケンスQC"),
    (
        "qc_lead",
        "Every stored file with its QC, per sequencing centre, for the periodic re-evaluation of each centre.",
        "シーケンス施設ごとの保存ファイルとQC（施設の定期評価用）。",
    ),
    ("files", "Files", "ファイル数"),
    ("qc_failed", "Failed QC", "QC不合格"),
    (
        "dictionary_title",
        "Clinical data dictionary",
        "臨床情報データ辞書",
    ),
    (
        "dictionary_lead",
        "What hospitals enter for each participant: the item groups, items, their definitions and the coded values. Records are checked against the version they were entered with.",
        "各参加者について医療機関が入力する項目の一覧です。項目群・項目・定義・選択肢コードを示します。記録は入力時の版で検証されます。",
    ),
    ("dictionary_released", "Released", "公開日"),
    ("dictionary_areas", "Areas", "領域"),
    (
        "dictionary_repeating",
        "repeating (one entry per event)",
        "繰り返し（事象ごとに1件）",
    ),
    ("dictionary_required", "required", "必須"),
    (
        "dictionary_linkage",
        "needs linkage consent",
        "連結同意が必要",
    ),
    ("dictionary_item", "Item", "項目"),
    ("dictionary_definition", "Definition", "定義"),
    ("dictionary_type", "Type", "型"),
    ("dictionary_codes", "Codes", "選択肢"),
    ("dictionary_unit", "Unit", "単位"),
    (
        "dictionary_rules",
        "Cross-field rules",
        "項目間の整合性規則",
    ),
    ("clinical_record", "Clinical record", "臨床情報"),
    ("clinical_version", "Version", "版"),
    (
        "clinical_none",
        "No clinical record yet.",
        "臨床情報はまだ登録されていません。",
    ),
    ("clinical_enter", "Enter or correct", "入力・修正"),
    ("clinical_history", "Versions", "登録履歴"),
    (
        "clinical_refused",
        "Nothing was saved. Please correct:",
        "保存されませんでした。次の点を修正してください：",
    ),
    ("submitted_by", "Submitted by", "登録者"),
    ("back", "Back", "戻る"),
    (
        "bulk_title",
        "Bulk upload of clinical records",
        "臨床情報の一括登録",
    ),
    (
        "bulk_lead",
        "A CSV file holds one item group (header: participant and the item ids); a JSON file holds whole records. The upload is all or nothing: if any row is wrong, nothing is stored and every problem is listed.",
        "CSVファイルは1つの項目群（見出し行：participant と項目ID）、JSONファイルは記録全体を含みます。一括登録は全件か0件です。1行でも誤りがあれば何も保存されず、すべての誤りを一覧表示します。",
    ),
    ("bulk_group", "Item group (CSV)", "項目群（CSV）"),
    (
        "bulk_file",
        "File (UTF-8 CSV or JSON)",
        "ファイル（UTF-8のCSVまたはJSON）",
    ),
    ("bulk_upload", "Upload", "アップロード"),
    ("bulk_stored", "Records stored", "登録件数"),
    (
        "bulk_wide",
        "Several groups: one row per participant, columns group.item",
        "複数の項目群：参加者ごとに1行、列は「項目群.項目」",
    ),
    (
        "bulk_refused",
        "Nothing was stored: problems found",
        "登録されませんでした：誤りの一覧",
    ),
    ("bulk_row", "Row", "行"),
    ("bulk_rule", "Rule", "規則"),
    ("bulk_message", "Message", "内容"),
    (
        "bulk_download_report",
        "Download the error report (CSV)",
        "エラー一覧をダウンロード（CSV）",
    ),
    (
        "bulk_template",
        "Download an empty template (CSV)",
        "空のテンプレートをダウンロード（CSV）",
    ),
    (
        "bulk_template_hint",
        "Start from a template: its header lists every item of the group. Save it as UTF-8 CSV without a BOM (in Excel: “CSV UTF-8” adds a BOM; use a text editor or LibreOffice to remove it).",
        "テンプレートから始めてください。ヘッダーに項目群のすべての項目が並びます。BOMなしのUTF-8 CSVで保存してください（Excelの「CSV UTF-8」はBOMを付けます。テキストエディタやLibreOfficeで外してください）。",
    ),
    ("hpo_title", "HPO term search", "HPO用語の検索"),
    (
        "hpo_lead",
        "Find a Human Phenotype Ontology term by its name, a synonym or its id, and enter the id (HP:…) in the form.",
        "ヒト表現型オントロジー（HPO）の用語を名称・同義語・IDで探し、そのID（HP:…）をフォームに入力してください。",
    ),
    ("hpo_query", "Name, synonym or id", "名称・同義語・ID"),
    ("hpo_search", "Search", "検索"),
    ("hpo_name", "Name", "名称"),
    ("hpo_synonyms", "Synonyms", "同義語"),
    ("hpo_none", "No term matches.", "該当する用語はありません。"),
    (
        "hpo_find",
        "Find an HPO term (opens a new tab)",
        "HPO用語を探す（新しいタブで開きます）",
    ),
    ("nav_dictionary", "Dictionary", "データ辞書"),
    ("nav_variants", "Variants", "バリアント"),
    ("vs_title", "Variants in the cohort", "コホートのバリアント"),
    (
        "vs_lead",
        "Summed from the genotypes of participants whose consent is in force now; a withdrawal leaves these numbers at once. Counts of 1–4 show as <5, and means and ratios over fewer than 5 genomes are not shown.",
        "現在同意が有効な参加者の遺伝型から集計しています。同意が撤回されると直ちに集計から外れます。1〜4の件数は<5と表示し、5ゲノム未満の平均・比は表示しません。",
    ),
    ("vs_genomes", "Genomes", "ゲノム数"),
    (
        "vs_mean",
        "Variants per genome (mean)",
        "1ゲノムあたりのバリアント数（平均）",
    ),
    ("vs_titv_short", "Ti/Tv", "Ti/Tv比"),
    (
        "vs_per_genome",
        "Variants per genome (distribution)",
        "1ゲノムあたりのバリアント数の分布",
    ),
    (
        "vs_per_genome_caption",
        "Genomes by their number of non-reference alleles among the stored sites.",
        "保存されたサイトのうち非参照アレルを持つ数ごとのゲノム数。",
    ),
    ("vs_bin", "Variants", "バリアント数"),
    (
        "vs_titv",
        "Transition/transversion ratio (Ti/Tv)",
        "トランジション/トランスバージョン比（Ti/Tv）",
    ),
    (
        "vs_by_area",
        "Mean variants per genome by disease area",
        "疾患領域別の1ゲノムあたり平均バリアント数",
    ),
    ("vs_area", "Disease area", "疾患領域"),
    ("vs_all", "All", "全体"),
    ("vb_title", "Variant browser", "バリアント検索"),
    (
        "vb_lead",
        "Alleles seen in the cohort, counted only over participants whose consent is in force now (and, for researchers, the datasets their grants cover). The public sees whether an allele has been seen; counts of 1–4 show as \u{201c}<5\u{201d} without row-level access.",
        "コホートで観察されたアレル。現在同意が有効な参加者（研究者の場合は承認された利用申請の対象データセット）のみを数えます。一般の方には観察の有無のみを表示し、個票レベルの権限がない場合は1〜4の件数を「<5」と表示します。",
    ),
    ("vb_query", "Region or variant", "領域またはバリアント"),
    (
        "vb_hint",
        "A region CHROM:START-END (at most 10 Mb), or a variant CHROM-POS-REF-ALT. Gene names are not searchable yet.",
        "領域（染色体:開始-終了、最大10 Mb）またはバリアント（染色体-位置-REF-ALT）を入力してください。遺伝子名での検索は準備中です。",
    ),
    (
        "vb_boolean",
        "Presence only: log in with a data-use grant to see counts.",
        "観察の有無のみ表示しています。件数の閲覧には利用承認が必要です（ログインしてください）。",
    ),
    (
        "vb_count",
        "Aggregate counts; counts of 1–4 are shown as <5.",
        "集計値を表示しています。1〜4の件数は<5と表示します。",
    ),
    (
        "vb_record",
        "Counts and carriers (row-level access).",
        "件数と保有者を表示しています（個票レベルの権限）。",
    ),
    (
        "vb_none",
        "No allele seen here among the participants you may count.",
        "数えられる参加者の中に、この条件のアレルは観察されていません。",
    ),
    (
        "vb_narrow",
        "narrow the region to see every allele.",
        "すべてのアレルを見るには領域を狭めてください。",
    ),
    ("vb_variant", "Variant", "バリアント"),
    ("vb_pos", "Position", "位置"),
    ("vb_present", "Seen", "観察"),
    ("vb_seen", "yes", "あり"),
    ("vb_hom", "Homozygotes", "ホモ接合"),
    ("vb_carriers", "Carriers", "保有者"),
    ("region", "Region", "領域"),
    ("variant", "Variant", "バリアント"),
    ("gene", "Gene", "遺伝子"),
    (
        "tile_variants",
        "Cohort allele counts by region or variant, within your access.",
        "領域・バリアントごとのコホートのアレル数（権限の範囲内）。",
    ),
    ("nav_bulk", "Clinical upload", "臨床情報一括登録"),
    (
        "chart_cancer_site",
        "Cancer participants by primary site",
        "がん領域：原発部位別の参加者数",
    ),
    (
        "chart_disease_group",
        "Rare-disease participants by disease group",
        "難病領域：疾患群別の参加者数",
    ),
    (
        "chart_clinical_caption",
        "Participants with a clinical record, latest version; counts only.",
        "臨床情報が登録された参加者（最新版）の件数のみを表示しています。",
    ),
    ("qc_passed", "Passed QC", "QC合格"),
    ("qc_by_month", "Files per month", "月別ファイル数"),
    ("qc_metrics", "QC metrics", "QC指標"),
    (
        "qc_failed_files",
        "Files that failed QC (kept, not released)",
        "QC不合格のファイル（保管・非公開）",
    ),
    ("metric", "Metric", "指標"),
    ("median", "Median", "中央値"),
    ("qc_drift", "QC drift", "QC指標の変動"),
    (
        "qc_drift_lead",
        "Each centre's files of the recent window (by ingest time) against its own baseline before it and against the rest of the programme over the same window.",
        "各施設の直近期間（取込日時）のファイルを、その前の自施設の基準期間、および同期間の他施設全体と比較します。",
    ),
    ("drifting", "Drifting", "変動あり"),
    ("stable", "Stable", "安定"),
    ("not_enough_data", "Not enough data", "データ不足"),
    ("within_limits", "Within limits", "許容範囲内"),
    ("failure_rate", "QC failure rate", "QC不合格率"),
    (
        "failure_rate_above_baseline",
        "Failure rate rose above its baseline",
        "不合格率が基準期間より上昇",
    ),
    (
        "failure_rate_above_programme",
        "Failure rate above the rest of the programme",
        "不合格率が他施設全体より高い",
    ),
    (
        "median_below_baseline",
        "Median fell below its baseline",
        "中央値が基準期間より低下",
    ),
    (
        "median_above_baseline",
        "Median rose above its baseline",
        "中央値が基準期間より上昇",
    ),
    (
        "median_below_programme",
        "Median below the rest of the programme",
        "中央値が他施設全体より低い",
    ),
    (
        "median_above_programme",
        "Median above the rest of the programme",
        "中央値が他施設全体より高い",
    ),
    ("qc_drift_window", "Recent window", "直近期間"),
    ("qc_drift_baseline", "Own baseline", "自施設の基準期間"),
    ("qc_drift_programme", "Rest of the programme", "他施設全体"),
    ("qc_drift_last_run", "Last re-evaluation", "最終再評価"),
    (
        "qc_drift_never",
        "Not re-evaluated yet",
        "まだ再評価されていません",
    ),
    ("qc_drift_run_now", "Re-evaluate now", "今すぐ再評価"),
    (
        "qc_drift_history",
        "over past re-evaluations",
        "過去の再評価での推移",
    ),
    ("qc_drift_days_ago", "Days before now", "現在からの日数"),
    ("fastq_q30", "FASTQ: Q30 fraction", "FASTQ: Q30比率"),
    (
        "fastq_mean_quality",
        "FASTQ: mean base quality",
        "FASTQ: 平均塩基品質",
    ),
    (
        "alignment_mapped",
        "Alignments: mapped fraction",
        "アライメント: マップ率",
    ),
    (
        "alignment_duplicates",
        "Alignments: duplicate fraction",
        "アライメント: 重複率",
    ),
    ("vcf_ts_tv", "VCF: Ti/Tv", "VCF: Ti/Tv"),
    ("vcf_het_hom", "VCF: het/hom ratio", "VCF: ヘテロ/ホモ比"),
    ("object_lost", "Object lost", "オブジェクト消失"),
    ("copy_corrupt", "Copy corrupt", "コピー破損"),
    (
        "variant_load_failed",
        "Variant load failed",
        "バリアント取り込み失敗",
    ),
    // coded values
    ("cancer", "Cancer", "がん"),
    ("rare_disease", "Rare disease", "難病"),
    ("female", "Female", "女性"),
    ("male", "Male", "男性"),
    ("other", "Other", "その他"),
    ("unknown", "Unknown", "不明"),
    ("not_given", "Not given", "未取得"),
    ("active", "In force", "有効"),
    ("withdrawn", "Withdrawn", "撤回"),
    ("given", "Given", "取得"),
    ("amended", "Amended", "変更"),
    ("general", "General research (GRU)", "研究全般（GRU）"),
    (
        "health_medical",
        "Health/medical research (HMB)",
        "医学研究（HMB）",
    ),
    (
        "disease_specific",
        "Disease-specific (DS)",
        "疾患限定（DS）",
    ),
    ("specimen", "Specimen", "検体"),
    ("aliquot", "Aliquot", "分注"),
    ("extract", "Extract", "抽出物"),
    ("library", "Library", "ライブラリ"),
    ("sequencing_run", "Sequencing run", "シーケンスラン"),
    ("file", "File", "ファイル"),
    ("tumour_tissue", "Tumour tissue", "腫瘍組織"),
    ("normal_tissue", "Normal tissue", "正常組織"),
    ("peripheral_blood", "Peripheral blood", "末梢血"),
    ("saliva", "Saliva", "唾液"),
    ("bone_marrow", "Bone marrow", "骨髄"),
    ("plasma", "Plasma", "血漿"),
    ("available", "Available", "利用可"),
    ("residual", "Residual", "残余"),
    ("exhausted", "Exhausted", "使用済"),
    ("wgs", "WGS", "全ゲノム（WGS）"),
    ("wes", "WES", "全エクソーム（WES）"),
    ("rna_seq", "RNA-seq", "RNA-seq"),
    ("panel", "Panel", "パネル"),
    ("dna", "DNA", "DNA"),
    ("rna", "RNA", "RNA"),
    ("fastq", "FASTQ", "FASTQ"),
    ("cram", "CRAM", "CRAM"),
    ("bam", "BAM", "BAM"),
    ("vcf", "VCF", "VCF"),
    ("expected", "Expected", "受領待ち"),
    ("stored", "Stored", "保存済"),
    ("must_choose", "choose one", "選択必須"),
    ("must_agree", "required", "必須同意"),
    ("must_answer", "answer required", "回答必須"),
    ("opt_out", "yes unless declined", "オプトアウト"),
    ("opt_in", "no unless agreed", "オプトイン"),
    // roles
    (
        "facility_submitter",
        "Facility submitter",
        "医療機関登録担当",
    ),
    ("sequencing_centre", "Sequencing centre", "シーケンス施設"),
    (
        "data_centre_staff",
        "Data-centre staff",
        "データセンター職員",
    ),
    ("dac_member", "DAC member", "データアクセス委員"),
    (
        "researcher_academic",
        "Researcher (academic)",
        "研究者（アカデミア）",
    ),
    (
        "researcher_industry",
        "Researcher (industry)",
        "研究者（企業）",
    ),
    ("clinician", "Clinician", "医師"),
    ("admin", "Administrator", "管理者"),
    // credentials (users, API tokens)
    ("nav_users", "Users", "ユーザー"),
    ("nav_identity", "Identity", "検体同一性"),
    ("identity", "Sample identity", "検体同一性"),
    (
        "identity_lead",
        "Every stored CRAM, BAM and VCF is fingerprinted and checked against its own participant's other samples, the whole cohort, the declared pedigree and the recorded sex. A failing check holds the library: the genome is not counted, released or served until it is resolved here.",
        "保存されたCRAM・BAM・VCFはすべて遺伝型フィンガープリントを取り、同じ参加者の他の検体、コホート全体、申告された家系、記録された性別と照合します。不合格となったライブラリは保留され、ここで解決されるまで集計・提供・利用に使われません。",
    ),
    ("hold_queue", "Hold queue", "保留キュー"),
    (
        "no_open_holds",
        "No sample is on hold.",
        "保留中の検体はありません。",
    ),
    ("other_participant", "other participant", "相手の参加者"),
    ("hold_action", "Decision", "判断"),
    (
        "hold_release",
        "Release (the sample is who it says)",
        "解除（本人の検体と確認）",
    ),
    (
        "hold_exclude",
        "Exclude (not to be used)",
        "除外（使用しない）",
    ),
    ("hold_reason", "Reason", "理由"),
    (
        "hold_relabel",
        "Relabel (it is another participant's)",
        "付け替え（他の参加者の検体）",
    ),
    (
        "hold_extract",
        "Extract barcode (relabel only)",
        "抽出物バーコード（付け替え時のみ）",
    ),
    ("hold_relabelled", "Relabelled", "付け替え済み"),
    ("hold_resolve", "Resolve", "解決する"),
    ("hold_resolved_by", "Resolved by", "解決者"),
    ("resolved_holds", "Resolved holds", "解決済みの保留"),
    ("hold_open", "On hold", "保留中"),
    ("hold_released", "Released", "解除"),
    ("hold_excluded", "Excluded", "除外"),
    ("holds", "Holds", "保留"),
    (
        "relatedness_plot",
        "Cohort relatedness",
        "コホートの血縁関係",
    ),
    (
        "relatedness_lead",
        "Each point is a pair of samples: kinship (KING-robust) against the fraction of sites sharing no allele (IBS0). Samples of one participant should sit at the top left (0.5, 0); declared parent and child near 0.25 with IBS0 near 0; unrelated pairs near 0 or below. Pairs drawn",
        "各点は検体の組です。縦軸は血縁係数（KING-robust）、横軸は対立遺伝子を共有しない部位の割合（IBS0）。同一参加者の検体は左上（0.5, 0）、申告された親子は0.25付近でIBS0がほぼ0、非血縁は0付近以下に位置します。描いた組の数",
    ),
    (
        "axis_ibs0",
        "IBS0 (fraction of sites sharing no allele)",
        "IBS0（対立遺伝子を共有しない部位の割合）",
    ),
    ("axis_kinship", "Kinship", "血縁係数"),
    ("guide_same", "same individual", "同一人物"),
    ("guide_first_degree", "first degree", "第1度近親"),
    ("guide_second_degree", "second degree", "第2度近親"),
    ("pair_same_participant", "same participant", "同一参加者"),
    (
        "pair_declared_relatives",
        "declared relatives",
        "申告された血縁者",
    ),
    ("pair_other", "other pairs", "その他の組"),
    (
        "identity_blocked",
        "A library of this participant is on hold or excluded: the genome is not counted in variant queries, released into datasets, served to researchers or used in reports.",
        "この参加者のライブラリが保留または除外されています。ゲノムはバリアント集計、データセットへの提供、研究者への提供、報告書に使われません。",
    ),
    (
        "identity_clear",
        "No identity hold: the genome may be used.",
        "同一性の保留はありません。ゲノムは利用できます。",
    ),
    (
        "identity_samples",
        "Fingerprinted samples",
        "フィンガープリント取得済みの検体",
    ),
    (
        "no_fingerprints",
        "No file of this participant has been fingerprinted yet.",
        "この参加者のファイルはまだフィンガープリントを取得していません。",
    ),
    ("identity_checks", "Checks", "照合結果"),
    ("evidence", "Evidence", "根拠"),
    ("evidence_genotypes", "genotypes (VCF)", "遺伝型（VCF）"),
    ("evidence_reads", "reads (CRAM/BAM)", "リード（CRAM/BAM）"),
    ("sites_called", "Sites called", "判定部位数"),
    ("genetic_sex", "Genetic sex", "遺伝的性別"),
    ("contamination", "Contamination", "コンタミネーション"),
    ("mean_depth", "Mean depth", "平均深度"),
    ("tumour", "tumour", "腫瘍"),
    ("normal", "normal", "正常"),
    ("check", "Check", "照合"),
    ("verdict", "Verdict", "判定"),
    ("numbers", "Numbers", "数値"),
    ("verdict_pass", "pass", "合格"),
    ("verdict_warn", "warn", "注意"),
    ("verdict_fail", "fail", "不合格"),
    (
        "check_same_library",
        "CRAM and VCF of one library",
        "同一ライブラリのCRAMとVCF",
    ),
    (
        "check_tumour_normal",
        "Tumour against its matched normal",
        "腫瘍と対応する正常検体",
    ),
    (
        "check_same_participant",
        "Two samples of one participant",
        "同一参加者の2検体",
    ),
    (
        "check_cohort_match",
        "Matches another participant (duplicate or swap)",
        "他の参加者と一致（重複または取り違え）",
    ),
    ("check_pedigree", "Declared pedigree", "申告された家系"),
    (
        "check_undeclared_relative",
        "Undeclared close relative",
        "申告のない近親者",
    ),
    (
        "check_sex",
        "Genetic sex against the clinical record",
        "遺伝的性別と診療録の性別",
    ),
    ("check_contamination", "Contamination", "コンタミネーション"),
    ("check_coverage", "Sites covered", "判定可能な部位数"),
    ("users", "Users", "ユーザー"),
    (
        "users_lead",
        "Disabling a user stops every session, API token and passport of theirs at once.",
        "ユーザーを無効にすると、そのユーザーのセッション、APIトークン、パスポートはすべて直ちに使えなくなります。",
    ),
    ("user_display_name", "Display name", "表示名"),
    ("user_role", "Role", "ロール"),
    ("user_scope", "Organisation", "所属機関"),
    ("user_state", "State", "状態"),
    ("user_enabled", "Active", "有効"),
    ("user_disabled", "Disabled", "無効"),
    ("disable_user", "Disable", "無効にする"),
    ("enable_user", "Enable", "有効にする"),
    ("api_tokens", "API tokens", "APIトークン"),
    (
        "tokens_lead",
        "A revoked token is refused from its next use on. Secrets are never shown again after issue.",
        "失効させたトークンは次回の利用から拒否されます。秘密の値は発行時以外には表示されません。",
    ),
    ("no_tokens", "No API tokens.", "APIトークンはありません。"),
    ("token_label", "Label", "ラベル"),
    ("token_created", "Issued", "発行日時"),
    ("token_last_used", "Last used", "最終利用"),
    ("token_expires", "Expires", "有効期限"),
    ("token_active", "Active", "有効"),
    ("token_expired", "Expired", "期限切れ"),
    ("token_revoked", "Revoked", "失効"),
    ("revoke_token", "Revoke", "失効させる"),
    // annotation and actionability (findings, trials)
    ("findings", "Findings", "解析所見"),
    ("nav_trials", "Trials", "臨床試験"),
    (
        "findings_blocked",
        "A library of this participant is on identity hold: nothing here may be reported until the hold is resolved.",
        "この参加者のライブラリは検体同一性の保留中です。保留が解決されるまで、ここに示す所見は報告できません。",
    ),
    ("findings_run", "Computed", "解析日時"),
    ("gene_model", "Gene model", "遺伝子モデル"),
    ("knowledge_bases", "Knowledge bases", "知識ベース"),
    (
        "findings_none",
        "Not annotated yet: the participant has no variants in the variant store, or no annotation run has included them.",
        "まだ解析されていません（バリアントストアにバリアントがないか、アノテーションがまだ実行されていません）。",
    ),
    ("therapies", "Therapies and evidence", "治療薬とエビデンス"),
    (
        "no_therapies",
        "No therapy or evidence matches this participant's variants.",
        "この参加者のバリアントに該当する治療薬・エビデンスはありません。",
    ),
    ("therapy", "Therapy", "治療薬"),
    ("disease_term", "Disease", "疾患"),
    ("evidence_level", "Evidence level", "エビデンスレベル"),
    ("amp_tier", "AMP/ASCO/CAP tier", "AMP/ASCO/CAP分類"),
    ("source_record", "Source record", "出典レコード"),
    ("predictive", "Predictive", "治療効果予測"),
    ("diagnostic", "Diagnostic", "診断"),
    ("prognostic", "Prognostic", "予後"),
    ("predisposing", "Predisposing", "易罹患性"),
    ("oncogenic", "Oncogenic", "発がん性"),
    ("functional", "Functional", "機能"),
    (
        "patient_cancer_type",
        "The patient's cancer type",
        "患者のがん種",
    ),
    ("any_cancer_type", "Any cancer type", "がん種を問わない"),
    ("other_cancer_type", "Another cancer type", "他のがん種"),
    (
        "secondary_findings_acmg",
        "Secondary findings (ACMG SF)",
        "二次的所見（ACMG SF）",
    ),
    (
        "secondary_wish",
        "Wishes to receive secondary findings",
        "二次的所見の開示希望",
    ),
    (
        "secondary_withheld",
        "Secondary findings exist but are not shown: the participant has not chosen to receive them.",
        "二次的所見がありますが、本人が開示を希望していないため表示しません。",
    ),
    ("significance", "Significance", "臨床的意義"),
    ("review_status", "Review status", "レビュー状況"),
    ("clinvar_conditions", "Conditions", "関連疾患"),
    (
        "annotated_variants",
        "Annotated variants",
        "アノテーション済みバリアント",
    ),
    (
        "not_annotated",
        "Variants not annotated (outside the gene model or REF mismatch)",
        "アノテーションできなかったバリアント（遺伝子モデル外またはREF不一致）",
    ),
    ("consequence", "Consequence", "影響"),
    ("impact", "Impact", "影響度"),
    ("origin", "Origin", "由来"),
    ("somatic", "Somatic", "体細胞"),
    ("germline", "Germline", "生殖細胞系列"),
    (
        "matching_trials",
        "Matching clinical trials",
        "該当する臨床試験",
    ),
    (
        "findings_changes",
        "Changed by the latest run",
        "直近の解析での変更",
    ),
    ("change", "Change", "変更"),
    ("finding", "Finding", "所見"),
    ("before", "Before", "変更前"),
    ("after", "After", "変更後"),
    ("added", "Added", "追加"),
    ("removed", "Removed", "削除"),
    ("changed", "Changed", "変更"),
    (
        "trials_lead",
        "Clinical trials described by their criteria (cancer type, biomarker, age, sex, prior therapy), with the patients whose findings and clinical record meet every criterion. Counts include every facility; patients are listed only to the data centre and to their own facility.",
        "がん種・バイオマーカー・年齢・性別・前治療の基準で記述された臨床試験と、解析所見と臨床情報がすべての基準を満たす患者です。人数は全施設分、患者IDはデータセンターと所属施設にのみ表示します。",
    ),
    (
        "trials_eligible_chart",
        "Eligible patients per trial",
        "試験ごとの適格患者数",
    ),
    (
        "no_trials",
        "No trials are configured.",
        "臨床試験は登録されていません。",
    ),
    ("trial", "Trial", "臨床試験"),
    ("criteria", "Criteria", "基準"),
    ("eligible_patients", "Eligible patients", "適格患者数"),
    ("your_patients", "Patients you may see", "閲覧できる患者"),
    ("enter_trial", "Enter a trial", "臨床試験を登録"),
    (
        "trial_entered",
        "Entered by the data centre",
        "データセンター登録",
    ),
    (
        "trial_id",
        "Trial id (e.g. jRCT number)",
        "試験ID（jRCT番号など）",
    ),
    ("trial_title", "Title", "試験名"),
    (
        "trial_cancer_types",
        "Cancer types (ICD-O-3 site or OncoTree, comma-separated)",
        "がん種（ICD-O-3局在またはOncoTree、カンマ区切り）",
    ),
    (
        "trial_biomarkers",
        "Biomarkers, one a line: GENE [VARIANT] [somatic|germline]",
        "バイオマーカー（1行に1つ：遺伝子 [バリアント] [somatic|germline]）",
    ),
    ("trial_min_age", "Minimum age", "下限年齢"),
    ("trial_max_age", "Maximum age", "上限年齢"),
    (
        "trial_prior_required",
        "Prior therapy required (comma-separated)",
        "必要な前治療（カンマ区切り）",
    ),
    (
        "trial_prior_excluded",
        "Prior therapy excluded (comma-separated)",
        "除外する前治療（カンマ区切り）",
    ),
    // pipelines and their evaluation
    ("nav_pipelines", "Pipelines", "パイプライン"),
    (
        "pl_lead",
        "Versioned callers, filters and models, evaluated against truth sets (recall, precision and F1 per variant type, as hap.py reports them). A version becomes current only when it is not worse than the current one on every truth set.",
        "バージョン管理されたコーラー・フィルター・モデルを正解セットで評価します（hap.py と同じくバリアント種別ごとの再現率・適合率・F1）。現行バージョンより全ての正解セットで劣らない場合に限り、新しいバージョンを現行にできます。",
    ),
    (
        "pl_none",
        "No pipelines are registered.",
        "登録されたパイプラインはありません。",
    ),
    ("pl_name", "Name", "名称"),
    ("pl_kind", "Kind", "種別"),
    ("pl_versions", "Versions", "バージョン"),
    ("pl_version", "Version", "バージョン"),
    ("pl_current", "Current version", "現行バージョン"),
    ("pl_current_badge", "current", "現行"),
    ("pl_evaluations", "Evaluations", "評価数"),
    ("pl_truth_sets", "Truth sets", "正解セット"),
    ("pl_truth_set", "Truth set", "正解セット"),
    (
        "pl_no_truth_sets",
        "No truth sets are registered.",
        "登録された正解セットはありません。",
    ),
    ("pl_sample", "Sample", "サンプル"),
    ("pl_assembly", "Assembly", "アセンブリ"),
    ("pl_regions", "Confident regions (BED)", "高信頼領域（BED）"),
    (
        "pl_register",
        "Register a pipeline version",
        "パイプラインのバージョンを登録",
    ),
    (
        "pl_tools",
        "Tools, one a line: NAME VERSION",
        "ツール（1行に1つ：名称 バージョン）",
    ),
    (
        "pl_fasta",
        "Reference FASTA (file name)",
        "参照配列FASTA（ファイル名）",
    ),
    (
        "pl_parameters",
        "Parameters (JSON object)",
        "パラメーター（JSONオブジェクト）",
    ),
    ("pl_container", "Container digest", "コンテナダイジェスト"),
    (
        "pl_register_truth",
        "Register a truth set",
        "正解セットを登録",
    ),
    (
        "pl_truth_lead",
        "File names are relative to the truth-set directory of the server configuration ([pipelines] truth_dir); their SHA-256 is recorded.",
        "ファイル名はサーバー設定の正解セットディレクトリ（[pipelines] truth_dir）からの相対パスです。SHA-256 が記録されます。",
    ),
    ("pl_promoted_by", "Promoted by", "昇格の実施者"),
    ("pl_replacing", "replacing", "置き換え前"),
    ("pl_rule", "Rule", "判定規則"),
    (
        "pl_no_current",
        "No version is current yet.",
        "現行バージョンはまだありません。",
    ),
    (
        "pl_table",
        "Evaluations by version and truth set",
        "バージョン・正解セット別の評価",
    ),
    (
        "pl_table_lead",
        "The latest evaluation of each version on each truth set, PASS records, inside the confident regions.",
        "各バージョンの正解セットごとの最新評価（PASS のレコード、高信頼領域内）。",
    ),
    (
        "pl_no_evaluations",
        "No version has been evaluated yet.",
        "まだ評価されたバージョンはありません。",
    ),
    ("pl_evaluated_at", "Evaluated", "評価日時"),
    ("pl_recall", "Recall", "再現率"),
    ("pl_precision", "Precision", "適合率"),
    (
        "pl_recall_chart",
        "Recall by variant type across versions (PASS)",
        "バージョン別・バリアント種別の再現率（PASS）",
    ),
    (
        "pl_precision_chart",
        "Precision by variant type across versions (PASS)",
        "バージョン別・バリアント種別の適合率（PASS）",
    ),
    ("pl_state", "State", "状態"),
    ("pl_registered", "Registered", "登録"),
    ("pl_promotions", "Promotions", "昇格の記録"),
    ("pl_reason", "Reason", "理由"),
    ("pl_results", "Results produced", "生成された結果"),
    (
        "pl_results_lead",
        "Stored files and variant-store batches whose recorded pipeline names a version (name@version, or name and version followed by details).",
        "記録されたパイプラインがいずれかのバージョンを示す保存ファイルとバリアントストアのバッチ（name@version、または名称とバージョンに続く詳細）。",
    ),
    ("pl_result", "Result", "結果"),
    (
        "pl_recorded",
        "Pipeline as recorded",
        "記録されたパイプライン",
    ),
    ("pl_promote", "Promote to current", "現行に昇格"),
    (
        "pl_promote_lead",
        "Allowed only when the version is not worse than the current one on every truth set the current one was evaluated on; the reason is recorded in the audit trail.",
        "現行バージョンが評価された全ての正解セットで劣らない場合に限り昇格できます。理由は監査証跡に記録されます。",
    ),
    ("pl_evaluate", "Evaluate a version", "バージョンを評価"),
    (
        "pl_calls_file",
        "Call set: file in the calls directory",
        "コールセット：コールディレクトリ内のファイル",
    ),
    (
        "pl_object_id",
        "…or a stored VCF's object id",
        "…または保存済みVCFのオブジェクトID",
    ),
    ("caller", "Variant caller", "バリアントコーラー"),
    ("filter", "Filter", "フィルター"),
    ("model", "Model", "モデル"),
    ("aligner", "Aligner", "アライナー"),
    ("annotator", "Annotator", "アノテーター"),
    ("workflow", "Workflow", "ワークフロー"),
    ("pl_state_registered", "Registered", "登録済み"),
    ("pl_state_current", "Current", "現行"),
    ("pl_state_retired", "Retired", "廃止"),
    (
        "reference",
        "Full haplotype comparison (reference FASTA)",
        "完全なハプロタイプ比較（参照FASTA）",
    ),
    (
        "ref_alleles",
        "Compared from the files' REF alleles",
        "ファイルのREFアレルから比較",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, en, ja) in TEXTS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ja.is_empty(), "{k} lacks a translation");
        }
    }

    #[test]
    fn every_key_in_the_templates_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "{}: no text for {key:?}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn every_coded_value_has_a_label() {
        use zenome_domain::lineage::*;
        let mut codes: Vec<&str> = vec![
            "cancer",
            "rare_disease",
            "not_given",
            "active",
            "withdrawn",
            "given",
            "amended",
        ];
        codes.extend(NodeKind::ALL.iter().map(|k| k.as_str()));
        codes.extend(SpecimenType::ALL.iter().map(|k| k.as_str()));
        codes.extend(MaterialStatus::ALL.iter().map(|k| k.as_str()));
        codes.extend(LibraryStrategy::ALL.iter().map(|k| k.as_str()));
        codes.extend(zenome_domain::role::Role::NAMES);
        for c in zenome_domain::consent::ConsentItem::ALL {
            codes.push(c.as_str());
        }
        codes.extend(
            zenome_domain::access::ApplicationState::ALL
                .iter()
                .map(|s| s.as_str()),
        );
        codes.extend(
            zenome_domain::access::DataType::ALL
                .iter()
                .map(|s| s.as_str()),
        );
        codes.extend(zenome_app::alerts::RULES);
        codes.extend([
            "academic",
            "industry",
            "active",
            "expired",
            "revoked",
            "not_started",
            "group_restricted",
            "controlled_access",
        ]);
        codes.extend([
            "submitted",
            "assigned",
            "comment",
            "changes_requested",
            "edited",
            "vote",
            "decided",
            "withdrawn",
        ]);
        for c in codes {
            assert!(TEXTS.iter().any(|(k, _, _)| *k == c), "no label for {c}");
        }
    }
}
