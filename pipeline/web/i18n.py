"""Interface text in Vietnamese (the default) and English.

The English sentence is the key; a missing Vietnamese entry falls back to English, and a test
checks that every text the templates use has its Vietnamese form.
"""

from __future__ import annotations

import re
from collections.abc import Callable

VI: dict[str, str] = {
    "hoso": "hoso",
    "Log in": "Đăng nhập",
    "Log out": "Đăng xuất",
    "User name": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Language": "Ngôn ngữ",
    "Inbox": "Hộp tiếp nhận",
    "Review": "Duyệt hồ sơ",
    "Search": "Tra cứu",
    "Cases": "Vụ việc",
    "Audit log": "Nhật ký",
    "Upload scans": "Tải bản quét lên",
    "Drop scans here or choose files": "Kéo thả bản quét vào đây hoặc chọn tệp",
    "Choose files": "Chọn tệp",
    "Batch": "Lô",
    "New batch": "Lô mới",
    "Existing batch": "Lô đã có",
    "Upload": "Tải lên",
    "Uploading": "Đang tải lên",
    "Uploaded": "Đã tải lên",
    "Waiting in the inbox": "Đang chờ trong hộp tiếp nhận",
    "Documents": "Hồ sơ",
    "File": "Tệp",
    "State": "Trạng thái",
    "Pages": "Số trang",
    "Problem": "Sự cố",
    "Retry": "Xử lý lại",
    "Resubmit": "Gửi duyệt lại",
    "Nothing is waiting.": "Không có tệp nào đang chờ.",
    "No documents yet.": "Chưa có hồ sơ nào.",
    "Batches ready for review": "Các lô chờ duyệt",
    "Ready": "Chờ duyệt",
    "No batch is waiting for review.": "Không có lô nào chờ duyệt.",
    "Open": "Mở",
    "Type": "Loại",
    "Number": "Số",
    "Issuer": "Cơ quan ban hành",
    "Date": "Ngày",
    "Case type": "Loại việc",
    "Case": "Vụ việc",
    "Confidence": "Độ tin cậy",
    "Note": "Ghi chú",
    "Leave out": "Loại ra",
    "Documents to check before approving": "Hồ sơ cần kiểm tra trước khi duyệt",
    "Every page as it will be signed": "Tất cả các trang, đúng như sẽ được ký",
    "Vietnamese words": "Từ tiếng Việt",
    "Text read": "Chữ đọc được",
    "read ok": "đọc tốt",
    "read poor": "đọc kém",
    "read blank": "trang trắng",
    "read doubtful": "đọc chưa chắc chắn",
    "Processing has stopped: documents wait and no watcher ran for a minute.": (
        "Việc xử lý đã dừng: có văn bản đang chờ nhưng một phút nay không có tiến trình xử lý nào "
        "chạy. Đề nghị quản trị viên khởi động hoso watch hoặc hoso serve."
    ),
    "Approve and sign": "Duyệt và ký số",
    "Return to clerks": "Trả lại văn thư",
    "Reason": "Lý do",
    "Return": "Trả lại",
    "Fields": "Thông tin trích xuất",
    "Parties": "Đương sự",
    "Role": "Vai trò",
    "Name": "Họ tên",
    "Save corrections": "Lưu chỉnh sửa",
    "Case link": "Liên kết vụ việc",
    "Accept": "Chấp nhận",
    "Choose": "Chọn",
    "Case code": "Mã vụ việc",
    "Candidates": "Vụ việc gợi ý",
    "Score": "Điểm",
    "Page": "Trang",
    "Previous page": "Trang trước",
    "Next page": "Trang sau",
    "Words read with low confidence": "Từ nhận dạng kém chắc chắn",
    "Words corrected automatically": "Từ được tự động sửa",
    "Download": "Tải về",
    "Open in the PDF viewer": "Mở bằng trình xem PDF",
    "Signed PDF": "Bản PDF đã ký",
    "Searchable PDF": "Bản PDF tìm kiếm được",
    "Original scan": "Bản quét gốc",
    "Signature and fixity": "Chữ ký số và toàn vẹn",
    "Check now": "Kiểm tra ngay",
    "intact": "nguyên vẹn",
    "original": "bản quét gốc",
    "searchable": "bản PDF tìm kiếm được",
    "Signed by": "Người ký",
    "Signing": "Đang ký số",
    "Signing finished": "Đã ký xong",
    "signed": "đã ký",
    "refused": "bị từ chối",
    "left out": "loại ra",
    "Back to the batch": "Quay lại lô",
    "Query": "Từ khóa",
    "Party": "Đương sự",
    "Year": "Năm",
    "Damaged spellings too": "Tìm cả chữ nhận dạng sai",
    "No document matches.": "Không có hồ sơ phù hợp.",
    "results": "kết quả",
    "Agency": "Cơ quan",
    "Debtors": "Người phải thi hành án",
    "Creditors": "Người được thi hành án",
    "Decision numbers": "Số quyết định",
    "Judgment numbers": "Số bản án",
    "Amount": "Số tiền",
    "Status": "Tình trạng",
    "Time": "Thời gian",
    "Who": "Người thực hiện",
    "Action": "Thao tác",
    "Subject": "Đối tượng",
    "Details": "Chi tiết",
    "Skip to content": "Tới nội dung chính",
    "Corrections saved.": "Đã lưu chỉnh sửa.",
    "Nothing changed.": "Không có gì thay đổi.",
    "Returned to the clerks.": "Đã trả lại văn thư.",
    "Queued again.": "Đã đưa vào hàng đợi xử lý lại.",
    "Sent for review again.": "Đã gửi duyệt lại.",
    "Linked to the case.": "Đã liên kết vụ việc.",
    "all": "tất cả",
    "received": "đã tiếp nhận",
    "processing": "đang xử lý",
    "ready": "chờ duyệt",
    "failed": "lỗi",
    "duplicate": "trùng",
    "returned": "bị trả lại",
    "approved": "đã duyệt",
    "archived": "đã lưu trữ",
    "clerk": "văn thư",
    "officer": "cán bộ ký duyệt",
    "archivist": "lưu trữ viên",
    "admin": "quản trị",
    "Open the page of the hit": "Mở trang có kết quả",
    "Not linked": "Chưa liên kết",
    "Returned with the note": "Bị trả lại với ghi chú",
    "Error": "Lỗi",
    "You are not logged in.": "Bạn chưa đăng nhập.",
    "You may not do this.": "Bạn không có quyền làm việc này.",
    "Not found.": "Không tìm thấy.",
    "The value is not valid.": "Giá trị không hợp lệ.",
    "Too many failed log-ins.": "Đăng nhập sai quá nhiều lần.",
    "The file could not be stored.": "Không lưu được tệp.",
    "Something went wrong.": "Đã xảy ra lỗi.",
    "Uploads go to the inbox; the watcher reads them within seconds.": (
        "Tệp tải lên được đưa vào hộp tiếp nhận và được xử lý sau vài giây."
    ),
    "Every edit is recorded in the audit log.": "Mọi chỉnh sửa đều được ghi vào nhật ký.",
    "Extraction was unsure of this value; check it against the page.": (
        "Giá trị này trích xuất chưa chắc chắn; hãy đối chiếu với trang văn bản."
    ),
    "file(s) uploaded": "tệp đã tải lên",
    "Cannot be edited now.": "Hiện không thể chỉnh sửa.",
    "Approved documents are signed with your configured key.": (
        "Hồ sơ được duyệt sẽ được ký bằng khóa đã cấu hình của bạn."
    ),
}

# Codes stored in the records, as people read them.
CODES: dict[str, str] = {
    "judgment": "Judgment",
    "court_decision": "Court decision",
    "enforcement_decision": "Enforcement decision",
    "verification_record": "Verification record",
    "seizure_record": "Seizure record",
    "notice": "Notice",
    "request": "Request",
    "other": "Other",
    "plaintiff": "Plaintiff",
    "defendant": "Defendant",
    "related_party": "Related party",
    "petitioner": "Petitioner",
    "respondent": "Respondent",
    "accused": "Accused",
    "victim": "Victim",
    "debtor": "Debtor",
    "creditor": "Creditor",
    "representative": "Representative",
}
VI.update(
    {
        "Judgment": "Bản án",
        "Court decision": "Quyết định của Tòa án",
        "Enforcement decision": "Quyết định thi hành án",
        "Verification record": "Biên bản xác minh",
        "Seizure record": "Biên bản kê biên",
        "Notice": "Thông báo",
        "Request": "Đơn yêu cầu",
        "Other": "Khác",
        "Plaintiff": "Nguyên đơn",
        "Defendant": "Bị đơn",
        "Related party": "Người có quyền lợi, nghĩa vụ liên quan",
        "Petitioner": "Người yêu cầu",
        "Respondent": "Người bị yêu cầu",
        "Accused": "Bị cáo",
        "Victim": "Bị hại",
        "Debtor": "Người phải thi hành án",
        "Creditor": "Người được thi hành án",
        "Representative": "Người đại diện",
    }
)


def translator(language: str) -> Callable[[str], str]:
    """The function templates call as ``_``: English in, the user's language out."""
    if language == "vi":
        return lambda text: VI.get(CODES.get(text, text), CODES.get(text, text))
    return lambda text: CODES.get(text, text)


# hoso's error sentences (English, from every layer) that the web shows often, in Vietnamese.
# A sentence not listed here is shown as it is, after a Vietnamese headline.
_SENTENCES: tuple[tuple[str, str], ...] = (
    (r"Log in first\.", "Hãy đăng nhập trước."),
    (r"The log-in has expired; log in again\.", "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại."),
    (r"The user name or the password is wrong\.", "Tên đăng nhập hoặc mật khẩu không đúng."),
    (
        r"Too many failed log-ins for (?P<name>.*)\. Wait (?P<n>\d+) minutes? and try again, "
        r"or ask an admin to set a new password\.",
        "Đăng nhập sai quá nhiều lần với tên {name}. Hãy đợi {n} phút rồi thử lại, hoặc nhờ "
        "quản trị viên đặt mật khẩu mới.",
    ),
    (
        r"The request did not carry this session's security token \(CSRF\)\..*",
        "Yêu cầu không mang mã bảo vệ của phiên làm việc (CSRF). Hãy tải lại trang rồi thử lại.",
    ),
    (
        r"The log-in form had expired\..*",
        "Biểu mẫu đăng nhập đã hết hạn. Hãy tải lại trang và đăng nhập lại.",
    ),
    (
        r"(?P<name>\S+) is a (?P<role>\w+); this needs the role (?P<roles>.+)\.",
        "{name} là {role}; việc này cần vai trò {roles}.",
    ),
    (
        r"(?P<name>\S+) may not do this: it needs the role (?P<roles>.+?)\. An admin .*",
        "{name} không được làm việc này: cần vai trò {roles}. Quản trị viên có thể cấp quyền.",
    ),
    (r"There is no document (?P<id>\d+)\b.*", "Không có hồ sơ số {id}."),
    (r"There is no case (?P<code>\S+)\. .*", "Không có vụ việc {code}."),
    (r"There is no batch (?P<batch>.+)\. `hoso .*", "Không có lô {batch}."),
    (
        r"Document (?P<id>\d+) is (?P<state>\w+); fields can be corrected only while a "
        r"document is ready for review or returned\.",
        "Hồ sơ số {id} đang ở trạng thái “{state}”; chỉ sửa được thông tin khi hồ sơ chờ "
        "duyệt hoặc bị trả lại.",
    ),
    (
        r"'(?P<value>.*)' is not a date; type it as YYYY-MM-DD\.",
        "“{value}” không phải là ngày; hãy nhập theo dạng năm-tháng-ngày, ví dụ 2021-03-15.",
    ),
    (
        r"'(?P<value>.*)' is not a document number hoso can read; .*",
        "“{value}” không phải là số văn bản hợp lệ; hãy nhập đúng như bản in, ví dụ "
        "25/2020/DS-ST hoặc 215/QĐ-CCTHADS.",
    ),
    (r"The (?P<role>\w+) has no name; .*", "{role} chưa có họ tên; hãy nhập đúng như bản in."),
    (r"Say why the documents go back: .*", "Hãy ghi lý do trả lại hồ sơ."),
    (
        r"A batch name is one folder name .*",
        "Tên lô là một tên thư mục gồm chữ, số, dấu cách, dấu chấm và gạch ngang (tối đa 80 ký "
        "tự), không bắt đầu bằng dấu chấm hay gạch dưới; ví dụ “2026-11 Lục Ngạn”.",
    ),
    (r"Choose a batch or type the name of a new one\.", "Hãy chọn một lô hoặc nhập tên lô mới."),
    (r"Choose at least one file to upload\.", "Hãy chọn ít nhất một tệp để tải lên."),
    (
        r"The file (?P<file>.+) is larger than (?P<mb>\d+) MB, .*",
        "Tệp {file} lớn hơn {mb} MB, mức tối đa của một lần tải lên; hãy tách bản quét hoặc "
        "nhờ quản trị viên tăng web.max_upload_mb.",
    ),
    (
        r"The upload is larger than (?P<mb>\d+) MB, the most one request may carry; .*",
        "Lần tải lên này lớn hơn {mb} MB, mức tối đa của một lần; hãy tải ít tệp hơn mỗi lần "
        "hoặc nhờ quản trị viên tăng web.max_request_mb.",
    ),
    (
        r"Document (?P<id>\d+) is (?P<state>\w+), not failed; .*",
        "Hồ sơ số {id} đang ở trạng thái “{state}”, không phải lỗi; chỉ hồ sơ lỗi mới xử lý "
        "lại được.",
    ),
    (
        r"Document (?P<id>\d+) is (?P<state>\w+); only a returned document is resubmitted\.",
        "Hồ sơ số {id} đang ở trạng thái “{state}”; chỉ hồ sơ bị trả lại mới gửi duyệt lại.",
    ),
    (
        r"Document (?P<id>\d+) has no candidate case to accept\..*",
        "Hồ sơ số {id} không có vụ việc gợi ý; hãy nhập mã vụ việc.",
    ),
    (
        r"The scan (?P<file>.+) is too large to read: (?P<what>.+)\. Scan the pages .*",
        "Bản quét {file} quá lớn để đọc ({what}); hãy quét đúng khổ giấy thật, độ phân giải "
        "không quá 600 dpi.",
    ),
    (
        r"A search may hold at most (?P<chars>\d+) characters and (?P<words>\d+) words; .*",
        "Một lần tìm kiếm chỉ được tối đa {chars} ký tự và {words} từ; hãy tìm theo vài từ "
        "chính (họ tên, số văn bản).",
    ),
    (
        r"(?P<file>.+) is (?P<kind>.+), not a scan file; .*",
        "{file} không phải là tệp bản quét thông thường (liên kết, ống dẫn hoặc thiết bị); "
        "hãy chép chính tệp bản quét vào thư mục nhận.",
    ),
    (
        r"The file (?P<file>.+) is (?P<kind>.+), not a scan\. .*",
        "Tệp {file} là tệp nén hoặc văn bản, không phải bản quét; hãy lấy các bản quét ra và "
        "thả từng tệp PDF, TIFF, JPEG hoặc PNG vào thư mục nhận.",
    ),
    (
        r"Type something to search for, or choose a filter\.",
        "Hãy nhập từ khóa hoặc chọn một bộ lọc.",
    ),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), text) for pattern, text in _SENTENCES)
_TRANSLATED_GROUPS = ("role", "roles", "state")


def sentence(message: str, language: str) -> str:
    """An error sentence in the user's language, when the catalogue has it; else as it is."""
    if language != "vi":
        return message
    t = translator(language)
    for pattern, text in _COMPILED:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        values = found.groupdict()
        for key in _TRANSLATED_GROUPS:
            if key in values:
                values[key] = " hoặc ".join(t(word) for word in values[key].split(" or "))
        return text.format(**values)
    return message
