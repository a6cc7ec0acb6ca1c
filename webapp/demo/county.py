"""阳光县: a fictional county with a real-looking division code (云南省临沧市)."""

COUNTY = {
    "province": ("530000", "云南省"),
    "city": ("530900", "临沧市"),
    "county": ("530930", "阳光县"),
}

DEMO_PASSWORD = "Sunhall@2026"

POST_NAMES = {
    "window": "窗口受理", "handle": "承办", "review": "审核", "approve": "批准",
    "legal": "法制审核", "supervise": "监察", "design": "流程设计",
}

# code, name, posts, phone
DEPARTMENTS = [
    ("xzfwzx", "阳光县行政服务中心", ["window", "design"], "0883-6120001"),
    ("scjgj", "阳光县市场监督管理局", ["window", "handle", "review", "approve", "legal"], "0883-6120315"),
    ("wsjkj", "阳光县卫生健康局", ["window", "handle", "review", "approve"], "0883-6120120"),
    ("zjj", "阳光县住房和城乡建设局", ["window", "handle", "review", "approve"], "0883-6120230"),
    ("zrzyj", "阳光县自然资源局", ["window", "handle", "review", "approve"], "0883-6120240"),
    ("rsj", "阳光县人力资源和社会保障局", ["window", "handle", "review", "approve"], "0883-6120333"),
    ("zfb", "阳光县人民政府办公室", ["window", "handle", "review", "approve"], "0883-6120100"),
    ("jwjw", "阳光县纪委监委", ["supervise", "approve"], "0883-6120012"),
    ("sfj", "阳光县司法局", ["legal", "review"], "0883-6120148"),
]

# staff_no, name, department, posts, roles
USERS = [
    ("admin", "王建国", "xzfwzx", [], ["admin"]),
    ("xz001", "许可欣", "xzfwzx", ["window", "design"], ["designer"]),
    ("sc001", "李娜", "scjgj", ["window"], ["clerk"]),
    ("sc002", "赵敏", "scjgj", ["window"], ["clerk"]),
    ("sc003", "张伟", "scjgj", ["handle"], ["handler"]),
    ("sc004", "刘洋", "scjgj", ["handle"], ["handler"]),
    ("sc005", "陈静", "scjgj", ["review"], ["handler"]),
    ("sc006", "杨帆", "scjgj", ["approve"], ["handler", "leader"]),
    ("sc007", "黄磊", "scjgj", ["legal"], ["handler"]),
    ("ws001", "周丽", "wsjkj", ["window"], ["clerk"]),
    ("ws002", "吴强", "wsjkj", ["handle"], ["handler"]),
    ("ws003", "郑红", "wsjkj", ["review"], ["handler"]),
    ("ws004", "孙斌", "wsjkj", ["approve"], ["handler", "leader"]),
    ("zj001", "马超", "zjj", ["window"], ["clerk"]),
    ("zj002", "朱琳", "zjj", ["handle", "review"], ["handler"]),
    ("zj003", "胡军", "zjj", ["approve"], ["handler", "leader"]),
    ("zj004", "曹丽", "zjj", ["review"], ["handler"]),
    ("zr001", "郭芳", "zrzyj", ["window"], ["clerk"]),
    ("zr002", "何勇", "zrzyj", ["handle", "review"], ["handler"]),
    ("zr003", "邓娟", "zrzyj", ["review"], ["handler"]),
    ("zr004", "田野", "zrzyj", ["approve"], ["handler", "leader"]),
    ("rs001", "高洁", "rsj", ["window"], ["clerk"]),
    ("rs002", "林涛", "rsj", ["handle", "review"], ["handler"]),
    ("rs003", "彭艳", "rsj", ["review"], ["handler"]),
    ("rs004", "沈丽", "rsj", ["approve"], ["handler", "leader"]),
    ("zf001", "罗敏", "zfb", ["window"], ["clerk"]),
    ("zf002", "梁宇", "zfb", ["handle"], ["handler"]),
    ("zf003", "宋佳", "zfb", ["review"], ["handler"]),
    ("zf004", "谢东", "zfb", ["approve"], ["handler", "leader"]),
    ("jw001", "韩梅", "jwjw", ["supervise"], ["supervisor"]),
    ("jw002", "唐亮", "jwjw", ["supervise"], ["supervisor"]),
    ("jw003", "何志刚", "jwjw", ["approve"], ["supervisor", "leader"]),
    ("sf001", "冯雪", "sfj", ["legal", "review"], ["legal"]),
]
